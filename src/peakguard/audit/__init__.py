"""Append-only audit log: who did what, when (ARCHITECTURE: every write is audited)."""
