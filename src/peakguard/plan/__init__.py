"""The emergency plan as data: levels, incident kinds, thresholds, deadlines, reporting chains
and playbooks (S3.3-S3.5, S1.x), loaded from YAML and validated."""
