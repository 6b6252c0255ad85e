"""On call (issue 17): rotations per role with layers, overrides and swaps decide who is on duty
at any time (simulated time included); paging until someone acknowledges; maintenance windows
and feed heartbeats so that neither a planned closure nor a dead feed is mistaken for calm."""
