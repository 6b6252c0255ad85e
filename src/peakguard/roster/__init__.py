"""The roster: people on the emergency group with their role, contact channels and duty."""
