"""A synthetic peak day for the demo, drills, tests and benchmarks: parcels and orders following
the S1.8 hourly curve, with injected faults and a truth file to score detection against."""
