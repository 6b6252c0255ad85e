"""Shops and 3PL clients told of the incidents that touch their orders or parcels (issue 17)."""
