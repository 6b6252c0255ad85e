"""The risk register's checklists (S1.1-S1.7): copy the plan's preparations into items with an
owner and a due date, mark them done with evidence, score each risk, and tell owners when an
item is overdue.

An item is done only with evidence (a note, a file or both): "take a system image" is worth
something on the day only if someone can say where the image is (S1.1 "proof of done").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from peakguard import limits
from peakguard.audit.service import Actor, record
from peakguard.errors import Conflict, InvalidInput, NotFound, Word
from peakguard.i18n import gettext
from peakguard.notify import service as notify
from peakguard.plan.schemas import Plan
from peakguard.readiness.models import ChecklistItem
from peakguard.roster import service as roster

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
SAFE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv"}
)
"""Evidence is served with its own type only if it is one of these; anything else (HTML, SVG,
scripts) goes out as ``application/octet-stream``, always as an attachment."""
MAX_TEXT = 500


def local_midnight_utc(plan: Plan, day: date) -> datetime:
    """Midnight of ``day`` in the plan's zone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(plan.timezone)).astimezone(ZoneInfo("UTC"))


def init_from_plan(session: Session, actor: Actor, now: datetime, plan: Plan) -> list[ChecklistItem]:
    """Copy every template not yet copied; items already there (perhaps edited) stay as they are."""
    known = set(session.scalars(select(ChecklistItem.template).where(ChecklistItem.template.is_not(None))))
    added = []
    for risk_key, risk in plan.readiness.risks.items():
        for template in risk.items:
            key = f"{risk_key}.{template.key}"
            if key in known:
                continue
            item = ChecklistItem(
                risk=risk_key,
                template=key,
                text={"zh_CN": template.text.zh_CN, "en": template.text.en},
                owner_role=template.owner_role,
                due_at=local_midnight_utc(plan, plan.readiness.day - timedelta(days=template.days_before)),
            )
            session.add(item)
            added.append(item)
    if added:
        session.flush()
        record(session, actor, "readiness.init", "readiness", "-", now, items=len(added))
    return added


def add_item(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    *,
    risk: str,
    text_zh: str,
    text_en: str,
    owner_role: str,
    due_at: datetime,
) -> ChecklistItem:
    """An extra preparation the plan does not list."""
    if risk not in plan.readiness.risks:
        raise InvalidInput(
            "risk",
            "unknown risk {risk!r}; the plan has {choices}",
            risk=risk,
            choices=", ".join(plan.readiness.risks),
        )
    if owner_role not in plan.roles:
        raise InvalidInput("owner_role", "unknown role {owner_role!r}", owner_role=owner_role)
    texts = {"text_zh": text_zh.strip(), "text_en": text_en.strip()}
    for field, value in texts.items():
        if not value:
            raise InvalidInput(field, "must not be empty")
        if len(value) > MAX_TEXT:
            raise InvalidInput(field, "at most {max_text} characters", max_text=MAX_TEXT)
    item = ChecklistItem(
        risk=risk,
        text={"zh_CN": texts["text_zh"], "en": texts["text_en"]},
        owner_role=owner_role,
        due_at=due_at,
    )
    session.add(item)
    session.flush()
    record(session, actor, "readiness.add", "readiness_item", item.id, now, risk=risk)
    return item


def keep_system_item(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    template: str,
    risk: str,
    owner_role: str,
    text: dict[str, str],
    open_: bool,
    done_note: str,
) -> ChecklistItem | None:
    """An item another domain raises and clears by itself (an on-call coverage gap, S1.4),
    keyed by ``template``: while ``open_`` it exists, is not done and says ``text`` (due now, so
    it is overdue and its owner is told); once not, it is marked done by ``actor``. Raised again
    later, the done item is reopened rather than duplicated. ``done_note`` is the evidence
    recorded when it clears."""
    item = session.scalar(select(ChecklistItem).where(ChecklistItem.template == template))
    if not open_:
        if item is not None and item.done_at is None:
            complete(session, actor, now, item.id, note=done_note)
        return item
    if item is None:
        item = ChecklistItem(risk=risk, template=template, text=text, owner_role=owner_role, due_at=now)
        session.add(item)
        session.flush()
        record(session, actor, "readiness.add", "readiness_item", item.id, now, risk=risk)
    elif item.done_at is not None:
        reopen(session, actor, now, item.id, reason="raised again")
        item.due_at = now
    if item.text != text:
        item.text = text
    return item


def get_item(session: Session, item_id: int) -> ChecklistItem:
    item = session.get(ChecklistItem, item_id)
    if item is None:
        raise NotFound("no checklist item {item_id}", field="item", item_id=item_id)
    return item


def list_items(session: Session, risk: str | None = None) -> list[ChecklistItem]:
    query = select(ChecklistItem).order_by(ChecklistItem.risk, ChecklistItem.due_at, ChecklistItem.id)
    if risk is not None:
        query = query.where(ChecklistItem.risk == risk)
    return list(session.scalars(query))


def assign(session: Session, actor: Actor, now: datetime, item_id: int, person_id: int) -> ChecklistItem:
    item = get_item(session, item_id)
    person = roster.get_person(session, person_id)
    if person.role != item.owner_role:
        raise InvalidInput(
            "person_id",
            "{name} is {role}; this item needs a {owner_role}",
            name=person.name,
            role=Word(person.role),
            owner_role=Word(item.owner_role),
        )
    item.owner_id = person.id
    item.overdue_notified_at = None  # a new owner hears about it if it is overdue
    record(session, actor, "readiness.assign", "readiness_item", item.id, now, person=person.id)
    return item


def complete(
    session: Session,
    actor: Actor,
    now: datetime,
    item_id: int,
    *,
    note: str | None = None,
    file_name: str | None = None,
    file_type: str | None = None,
    content: bytes | None = None,
) -> ChecklistItem:
    item = get_item(session, item_id)
    if item.done_at is not None:
        raise Conflict("item {item_id} is already done", field="item", item_id=item_id)
    note = (note or "").strip() or None
    if note is None and not content:
        raise InvalidInput("evidence", "a done item needs evidence: a note or a file")
    if note is not None and len(note) > limits.MAX_TEXT:
        raise InvalidInput("note", "at most {max_text} characters", max_text=limits.MAX_TEXT)
    if content is not None and len(content) > MAX_EVIDENCE_BYTES:
        raise InvalidInput("evidence", "the file is larger than 5 MB")
    if content and not safe_file_name(file_name or ""):
        raise InvalidInput("file_name", "a file needs its name")
    item.done_at, item.done_by, item.evidence_note = now, actor.name, note
    if content:
        item.evidence_name = safe_file_name(file_name or "")
        item.evidence_type = safe_type(file_type)
        item.evidence_file = content
    record(session, actor, "readiness.done", "readiness_item", item.id, now, file=item.evidence_name)
    return item


def safe_file_name(name: str) -> str:
    """The uploader's file name without folders, control characters, quotes or anything a
    browser or a shell would read specially; at most 200 characters, extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if c.isprintable() and c not in '"<>:|?*;%' and c != "/").strip(" .")
    if len(kept) > 200:
        stem, dot, ext = kept.rpartition(".")
        kept = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else kept[:200]
    return kept


def safe_type(content_type: str | None) -> str:
    """The declared type if it is a harmless one, else ``application/octet-stream``."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind if kind in SAFE_TYPES else "application/octet-stream"


def reopen(session: Session, actor: Actor, now: datetime, item_id: int, reason: str) -> ChecklistItem:
    """Undo a done mark (the evidence did not hold up); the old evidence is dropped."""
    item = get_item(session, item_id)
    if item.done_at is None:
        raise Conflict("item {item_id} is not done", field="item", item_id=item_id)
    if not reason.strip():
        raise InvalidInput("reason", "say why the item is reopened")
    item.done_at = item.done_by = item.evidence_note = None
    item.evidence_name = item.evidence_type = None
    item.evidence_file = None
    item.overdue_notified_at = None
    record(session, actor, "readiness.reopen", "readiness_item", item.id, now, reason=reason.strip())
    return item


@dataclass(frozen=True)
class RiskScore:
    risk: str
    section: str
    name: str
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class Scores:
    risks: list[RiskScore]
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def scores(session: Session, plan: Plan, now: datetime, language: str) -> Scores:
    """Share of items done per risk and overall; overdue counts what is late and still open."""
    items = list_items(session)
    out = []
    for key, risk in plan.readiness.risks.items():
        mine = [i for i in items if i.risk == key]
        out.append(
            RiskScore(
                risk=key,
                section=risk.section,
                name=risk.name.get(language),
                done=sum(1 for i in mine if i.done_at is not None),
                total=len(mine),
                overdue=sum(1 for i in mine if is_overdue(i, now)),
            )
        )
    return Scores(
        risks=out,
        done=sum(r.done for r in out),
        total=sum(r.total for r in out),
        overdue=sum(r.overdue for r in out),
    )


def is_overdue(item: ChecklistItem, now: datetime) -> bool:
    return item.done_at is None and item.due_at <= now


def text_of(item: ChecklistItem, language: str) -> str:
    return item.text.get(language) or item.text["zh_CN"]


def notify_overdue(session: Session, now: datetime, plan: Plan) -> list[ChecklistItem]:
    """Tell each overdue item's owner once (or the on-duty people of its role when nobody owns
    it); the conditional update claims the item, so two servers never both tell."""
    zone = ZoneInfo(plan.timezone)
    due = session.scalars(
        select(ChecklistItem).where(
            ChecklistItem.done_at.is_(None),
            ChecklistItem.due_at <= now,
            ChecklistItem.overdue_notified_at.is_(None),
        )
    ).all()
    told = []
    for item in due:
        claimed = session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.id == item.id, ChecklistItem.overdue_notified_at.is_(None))
            .values(overdue_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another server told the owner first

        def render(language: str, item: ChecklistItem = item) -> tuple[str, str]:
            values = {
                "text": text_of(item, language),
                "due": item.due_at.astimezone(zone).strftime("%m-%d %H:%M"),
            }
            return (
                gettext(language, "Readiness item overdue: {text}", **values),
                gettext(
                    language, "Due {due}. Finish it and attach the evidence on the readiness page.", **values
                ),
            )

        if item.owner_id is not None:
            notify.enqueue_person(
                session,
                now,
                event="readiness_overdue",
                person=roster.get_person(session, item.owner_id),
                render=render,
            )
        else:
            notify.enqueue(session, now, event="readiness_overdue", roles=[item.owner_role], render=render)
        item.overdue_notified_at = now
        told.append(item)
    return told
