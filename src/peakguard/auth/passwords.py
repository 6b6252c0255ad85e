"""The password policy (issue 13 item 6): long enough, not the username, not a common password.

``12345678``, ``password`` or the user's own name fall to the first guesses of anyone who tries;
the list of common passwords ships with the package (``common_passwords.txt``), so the check
needs no network. Hashing is argon2 (``service``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from peakguard.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 200
"""Argon2 takes any length, but a megabyte "password" is only a way to burn server time."""
_COMMON = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_policy(password: str, username: str) -> None:
    """Raise ``InvalidInput`` on field ``password`` naming the rule that is broken."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput("password", "at least {min_length} characters", min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise InvalidInput("password", "at most {max_length} characters", max_length=MAX_LENGTH)
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise InvalidInput("password", "must not contain the username")
    if lowered in common_passwords() or len(set(password)) < 4:
        raise InvalidInput("password", "too common or too simple; choose another")
