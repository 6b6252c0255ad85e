"""`peakguard demo`: a simulated peak day on the embedded default, for a first look and drills."""
