"""The delivery log page (issue 6): every message the outbox holds, newest first, with its
status in colour (sent green, pending yellow, failed or nobody on duty red), the attempts and the
last error; and a test message to any person, to prove their channels before the day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from peakguard.auth.roles import Perm
from peakguard.deps import Now, SessionDep
from peakguard.limits import Id, Term
from peakguard.notify import service
from peakguard.roster import service as roster
from peakguard.web.actions import attempt
from peakguard.web.security import CSRF, PageCanManageRoster, PageCanReadRoster
from peakguard.web.templating import render

router = APIRouter(include_in_schema=False)
STATUSES = ("pending", "sent", "failed", "no_recipient")


@router.get("/admin/notifications")
def notifications_page(
    request: Request,
    viewer: PageCanReadRoster,
    session: SessionDep,
    status: Term | None = None,
) -> Response:
    chosen = status if status in STATUSES else None
    return render(
        request,
        "admin_notifications.html",
        viewer,
        messages=service.recent(session, chosen, 200),
        people={p.id: p for p in roster.list_people(session)},
        statuses=STATUSES,
        chosen=chosen,
        can_manage=viewer.can(Perm.ROSTER_MANAGE),
    )


@router.post("/admin/notifications/test", dependencies=[CSRF])
def send_test(
    request: Request,
    person_id: Annotated[Id, Form()],
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: service.test_message(session, now, roster.get_person(session, person_id)),
        "Test message queued: it goes out within a second",
        "/admin/notifications",
    )
