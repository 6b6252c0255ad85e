"""Route dependencies of the warehouse: operator and admin permissions as everywhere (``deps``), plus
routes that a client user reaches too (its own rows only, scoped in the services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.auth.roles import Perm, allows
from peakguard.deps import CurrentUser
from peakguard.errors import Forbidden, Word


def _operator_or_client(user: CurrentUser) -> Actor:
    if not (allows(user.role, Perm.WAREHOUSE_OPERATE) or allows(user.role, Perm.WAREHOUSE_CLIENT)):
        raise Forbidden(
            "role {role!r} may not do {permission}",
            role=Word(user.role),
            permission=Perm.WAREHOUSE_CLIENT.value,
        )
    return auth.actor_for(user)


OperatorOrClient = Annotated[Actor, Depends(_operator_or_client)]
"""Operators see every client; a client user sees only its own (the services scope by client)."""
