"""Users, roles, API tokens and per-client isolation."""
