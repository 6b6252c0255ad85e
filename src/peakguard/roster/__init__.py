"""The roster: people on the emergency group with their role, contact channels and availability
(who is on duty when is :mod:`peakguard.oncall`)."""
