"""Running PeakGuard for real: health checks, Prometheus metrics, request ids and structured logs,
backups (issue 13, "operable in production")."""
