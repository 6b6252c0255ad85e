"""Incidents: open, classify, assign, escalate on deadline, resolve, after-action review
(S3.3-S3.7)."""
