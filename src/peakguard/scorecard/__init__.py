"""The numbers that drive the penalty ladder (issue 17; S3.7): response times and the outlet
scorecard."""
