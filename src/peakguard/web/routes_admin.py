"""Admin pages: the plan as the war room reads it (S3.3-S3.5), the roster of the emergency group
(S3.4) with on-duty switches, and users with their API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from peakguard.auth import service as auth
from peakguard.auth.models import ApiToken
from peakguard.auth.roles import Perm, Role
from peakguard.deps import Now, SessionDep
from peakguard.errors import InvalidInput
from peakguard.i18n import gettext
from peakguard.limits import FormText, Id, Line
from peakguard.plan.schemas import AUTHORITY
from peakguard.plan.service import current_plan, levels_by_rank
from peakguard.roster import service as roster
from peakguard.web.actions import attempt, in_savepoint
from peakguard.web.errors import page_message
from peakguard.web.security import (
    CSRF,
    PageCanManageRoster,
    PageCanManageUsers,
    PageCanReadPlan,
    PageCanReadRoster,
    Viewer,
)
from peakguard.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/plan")
def plan_page(request: Request, viewer: PageCanReadPlan) -> Response:
    plan = current_plan()
    return render(request, "admin_plan.html", viewer, plan=plan, levels=levels_by_rank(plan))


@router.get("/admin/roster")
def roster_page(
    request: Request,
    viewer: PageCanReadRoster,
    session: SessionDep,
) -> Response:
    plan = current_plan()
    return render(
        request,
        "admin_roster.html",
        viewer,
        people=roster.list_people(session),
        roles=[*plan.roles, AUTHORITY],
        can_manage=viewer.can(Perm.ROSTER_MANAGE),
    )


@router.post("/admin/roster", dependencies=[CSRF])
def add_person(
    request: Request,
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
    name: Annotated[str, Line(120), Form()] = "",
    role: Annotated[str, Line(20), Form()] = "",
    language: Annotated[str, Line(10), Form()] = "zh_CN",
    channels: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: roster.add_person(
            session,
            viewer.actor,
            now,
            current_plan(),
            name=name,
            role=role,
            language=language,
            channels=channels.split(),
        ),
        "Added to the roster",
        "/admin/roster",
    )


@router.post("/admin/roster/{person_id}/duty", dependencies=[CSRF])
def set_duty(
    request: Request,
    person_id: Id,
    viewer: PageCanManageRoster,
    session: SessionDep,
    now: Now,
    on_duty: Annotated[FormText, Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: roster.set_duty(session, viewer.actor, now, person_id, on_duty == "1"),
        "Saved",
        "/admin/roster",
    )


UserName = Annotated[str, Line(80)]


@router.get("/admin/users")
def users_page(request: Request, viewer: PageCanManageUsers, session: SessionDep) -> Response:
    return _users(request, viewer, session, new_token=None)


def _users(request: Request, viewer: Viewer, session: Session, new_token: dict[str, str] | None) -> Response:
    tokens: dict[int, list[ApiToken]] = {}
    for token in auth.list_tokens(session):
        tokens.setdefault(token.user_id, []).append(token)
    return render(
        request,
        "admin_users.html",
        viewer,
        users=auth.list_users(session),
        tokens=tokens,
        roles=[r.value for r in Role],
        new_token=new_token,
        token_days=request.app.state.settings.token_days,
        max_token_days=auth.MAX_TOKEN_DAYS,
    )


def _client_id(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise InvalidInput("client_id", "a whole number")
    return int(text)


@router.post("/admin/users", dependencies=[CSRF])
def create_user(
    request: Request,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
    username: Annotated[str, Line(80), Form()] = "",
    password: Annotated[FormText, Form()] = "",
    role: Annotated[str, Line(20), Form()] = "",
    display_name: Annotated[str, Line(120), Form()] = "",
    language: Annotated[str, Line(10), Form()] = "zh_CN",
    client_id: Annotated[str, Line(20), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: auth.create_user(
            session,
            viewer.actor,
            now,
            username=username.strip(),
            password=password,
            role=role,
            display_name=display_name.strip(),
            language=language,
            client_id=_client_id(client_id),
        ),
        "User created",
        "/admin/users",
    )


@router.post("/admin/users/{username}/role", dependencies=[CSRF])
def change_role(
    request: Request,
    username: UserName,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
    role: Annotated[str, Line(20), Form()] = "",
    client_id: Annotated[str, Line(20), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: auth.set_role(session, viewer.actor, now, username, role, _client_id(client_id)),
        "Role changed",
        "/admin/users",
    )


@router.post("/admin/users/{username}/password", dependencies=[CSRF])
def change_password(
    request: Request,
    username: UserName,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
    password: Annotated[FormText, Form()] = "",
) -> Response:
    """The user's page sessions end (an admin changing their own password logs in again)."""
    return attempt(
        request,
        session,
        viewer,
        lambda: auth.set_password(session, viewer.actor, now, username, password),
        "Password changed",
        "/admin/users",
    )


@router.post("/admin/users/{username}/active", dependencies=[CSRF])
def set_active(
    request: Request,
    username: UserName,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
    active: Annotated[str, Line(1), Form()] = "",
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: auth.set_active(session, viewer.actor, now, username, active == "1"),
        "Saved",
        "/admin/users",
    )


@router.post("/admin/users/{username}/tokens", dependencies=[CSRF])
def create_token(
    request: Request,
    username: UserName,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
    name: Annotated[str, Line(80), Form()] = "",
    days: Annotated[str, Line(8), Form()] = "",
) -> Response:
    """The clear token is shown once, in this answer (not after a redirect: it never goes into
    the session cookie), and only its hash is stored."""

    def create() -> str:
        if not name.strip():
            raise InvalidInput("name", "must not be empty")
        if days.strip() and not days.strip().isdigit():
            raise InvalidInput("days", "a whole number")
        return auth.create_token(
            session,
            viewer.actor,
            now,
            username=username,
            name=name.strip(),
            days=int(days) if days.strip() else request.app.state.settings.token_days,
        )

    token, refused = in_savepoint(session, create)
    if token is None:
        if refused is not None:
            flash(request, "error", page_message(viewer.lang, refused))
        return RedirectResponse("/admin/users", status_code=303)
    flash(request, "ok", gettext(viewer.lang, "Token created; copy it now, it is shown only once"))
    return _users(
        request, viewer, session, new_token={"user": username, "name": name.strip(), "token": token}
    )


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[CSRF])
def revoke_token(
    request: Request,
    token_id: Id,
    viewer: PageCanManageUsers,
    session: SessionDep,
    now: Now,
) -> Response:
    return attempt(
        request,
        session,
        viewer,
        lambda: auth.revoke_token(session, viewer.actor, now, token_id),
        "Token revoked",
        "/admin/users",
    )
