"""Remembering a user's page language (the language switch), audited like every write.

``auth.service`` has no setter for ``User.language``; this is the one place the web writes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor, record
from peakguard.auth.models import User
from peakguard.errors import InvalidInput
from peakguard.i18n import LANGUAGES


def set_language(session: Session, actor: Actor, now: datetime, user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("language", "one of {choices}", choices=", ".join(LANGUAGES))
    if user.language == language:
        return
    user.language = language
    record(session, actor, "user.language", "user", user.id, now, language=language)
