"""Roles and what each may do. A route asks for a permission, never for a role, so adding a
role is one line here. The S3.4 emergency group is leader, deputy and member."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    DEPUTY = "deputy"
    MEMBER = "member"
    WAREHOUSE = "warehouse"
    CLIENT = "client"
    VIEWER = "viewer"


class Perm(StrEnum):
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_WRITE = "incidents:write"
    INCIDENTS_REVIEW = "incidents:review"
    PLAN_READ = "plan:read"
    ROSTER_READ = "roster:read"
    ROSTER_MANAGE = "roster:manage"
    USERS_MANAGE = "users:manage"
    AUDIT_READ = "audit:read"
    EVENTS_WRITE = "events:write"
    WAREHOUSE_OPERATE = "warehouse:operate"
    WAREHOUSE_MANAGE = "warehouse:manage"
    WAREHOUSE_CLIENT = "warehouse:client"
    READINESS_READ = "readiness:read"
    READINESS_WRITE = "readiness:write"
    PRINTING = "printing:use"
    """Queue labels and waybills, and switch printers (S1.6: a member moves to a spare)."""
    METRICS_READ = "metrics:read"
    """Scrape ``/metrics`` (admin; Prometheus itself uses ``PEAKGUARD_METRICS_TOKEN``)."""


_EMERGENCY_GROUP = {
    Perm.INCIDENTS_READ,
    Perm.INCIDENTS_WRITE,
    Perm.INCIDENTS_REVIEW,
    Perm.PLAN_READ,
    Perm.ROSTER_READ,
    Perm.EVENTS_WRITE,
    Perm.READINESS_READ,
    Perm.READINESS_WRITE,
    Perm.PRINTING,
}

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEADER: frozenset(_EMERGENCY_GROUP | {Perm.ROSTER_MANAGE, Perm.AUDIT_READ}),
    Role.DEPUTY: frozenset(_EMERGENCY_GROUP),
    Role.MEMBER: frozenset(_EMERGENCY_GROUP),
    Role.WAREHOUSE: frozenset(
        {Perm.WAREHOUSE_OPERATE, Perm.INCIDENTS_READ, Perm.PLAN_READ, Perm.READINESS_READ, Perm.PRINTING}
    ),
    Role.CLIENT: frozenset({Perm.WAREHOUSE_CLIENT}),
    Role.VIEWER: frozenset({Perm.INCIDENTS_READ, Perm.PLAN_READ, Perm.ROSTER_READ, Perm.READINESS_READ}),
}


def allows(role: str, perm: Perm) -> bool:
    try:
        return perm in PERMISSIONS[Role(role)]
    except ValueError:
        return False
