"""Notifications: an outbox of messages to people on the roster, rendered in each person's
language. Rows are written in the same transaction as the change that causes them, so a crash
never loses a message nor sends one for a change that was rolled back."""
