"""The plan file's shape. Validation here is the whole guard against a broken plan: a user's
YAML that loads is a plan the engine can run (levels exist, thresholds climb, chains name known
roles)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LanguageCode = Literal["zh_CN", "en"]
AUTHORITY = "authority"
"""An outside recipient of reports (the competent authorities, S3.4 special): a roster
contact, never a login role."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """User-facing text in both languages of the trade (zh_CN is the default)."""

    zh_CN: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.zh_CN


class PenaltyStep(Text):
    id: str = Field(pattern=r"^[a-z_]+$")


class Level(Strict):
    rank: int = Field(ge=1)
    name: Text
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    deadline_minutes: int = Field(gt=0)
    notify: list[str] = Field(min_length=1)
    handler: str
    supervisor: str | None = None
    task_force: bool = False
    report_to: str
    escalate_to: list[str] = Field(min_length=1)


class Threshold(Strict):
    min_count: int = Field(ge=1)
    level: str


class Kind(Strict):
    name: Text
    level: str
    playbook: str
    unit: str | None = None
    thresholds: list[Threshold] = []
    penalty: bool = False
    reason: str | None = None


class Detection(Strict):
    """Parameters of the live detectors (S3.3 parcel rules, S1.2, S1.5, S1.8). The count
    thresholds themselves are the kinds' (``kinds.backlog.thresholds`` ...), not repeated here."""

    lost_after_hours: float = Field(default=72, gt=0)
    """A parcel with no scan for this long counts as lost."""
    transit_timeout_hours: float = Field(default=6, gt=0)
    """A parcel whose last scan is ``hub_departed`` and older than this is interrupted in transit."""
    stuck_after_hours: float = Field(default=12, gt=0)
    """A parcel not delivered whose last scan is older than this is part of its area's backlog."""
    l1_exceptions: dict[str, str] = {
        "robbed": "robbery_theft",
        "withheld": "outlet_withholding",
        "prohibited": "prohibited_item",
    }
    """Scan exceptions that open a Level 1 incident per site at once, and the kind they open."""
    platform_paid_ratio: float = Field(default=0.3, gt=0, lt=1)
    """S1.2: paid orders per minute below this share of the recent normal, while orders are
    still created, means buyers cannot pay."""
    platform_error_spike: int = Field(default=50, ge=1)
    """S1.2: platform errors in one minute at or above this."""
    coupon_error_rate: float = Field(default=0.2, gt=0, le=1)
    """S1.5: share of a minute's orders with a coupon error at or above this."""
    window_minutes: int = Field(default=10, ge=1)
    """Shop-side rules look at this many recent minutes."""
    retention_days: int = Field(default=7, ge=1)
    """Raw events kept in the database; older ones go to Parquet with ``peakguard events archive``."""
    shortfall_ratio: float = Field(default=0.7, gt=0, lt=1)
    """S1.5: visitors or conversion below this share of plan is a shortfall."""
    planned_conversion: float = Field(default=0.05, gt=0, le=1)
    """S1.5: paid orders per visitor the shop plans for."""
    hourly_visitors: list[int] = Field(
        default=[
            9000,
            8000,
            3000,
            1000,
            500,
            400,
            500,
            1000,
            2500,
            6000,
            7000,
            6000,
            4000,
            3500,
            3500,
            6000,
            6500,
            5000,
            4000,
            4500,
            7000,
            7500,
            6000,
            5000,
        ],
        min_length=24,
        max_length=24,
    )
    """S1.8's curve as visitors per hour (00-02 burst, 09-11, 15-17, 20-22, last hour)."""
    chase_after_minutes: int = Field(default=15, ge=1)
    """S1.8: a created order still unpaid after this goes on the chase list."""


class CarrierRange(Strict):
    """A carrier whose tracking numbers come from a range it allotted us (S2.11)."""

    name: str = Field(min_length=1)
    prefix: str = Field(pattern=r"^[A-Z0-9]{0,8}$")
    first: int = Field(ge=0)
    last: int = Field(ge=0)


class Warehouse(Strict):
    """The overflow warehouse (S2): its name as the incident area, when its used area counts as
    overflow, and the carriers that collect from it."""

    name: str = Field(default="overflow-warehouse", min_length=1, max_length=64)
    overflow_percent: int = Field(default=90, ge=1, le=100)
    """A ``warehouse_overflow`` incident opens when leased area reaches this share of the bays."""
    carriers: dict[str, CarrierRange] = {
        "sf": CarrierRange(name="SF Express", prefix="SF", first=1000000000, last=1999999999),
        "zto": CarrierRange(name="ZTO Express", prefix="ZT", first=7000000000, last=7999999999),
    }


class ChecklistTemplate(Strict):
    """A preparation to finish before the day (S1.1-S1.7), copied into the readiness checklist."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    text: Text
    owner_role: str
    days_before: int = Field(default=3, ge=0, le=90)
    """Due at local midnight this many days before the peak day."""


class Risk(Strict):
    """One of the shop's seven risks (S1.1-S1.7) and the preparations that answer it."""

    section: str = Field(pattern=r"^S1\.[1-7]$")
    name: Text
    kind: str | None = None
    """The incident kind this risk becomes on the day, if it has one."""
    items: list[ChecklistTemplate] = Field(min_length=1)


class Reminder(Strict):
    """A point of the day's timeline (S1.8): at a local time, advice to some roles."""

    at: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    roles: list[str] = Field(min_length=1)
    text: Text


class QuickReply(Strict):
    """A ready answer to buyers (S1.2, S1.4, S1.5), offered on incidents of the listed kinds."""

    title: Text
    text: Text
    kinds: list[str] = []


class Readiness(Strict):
    """Before and during the day on the shop side (S1): the risk register, the timeline's
    reminders and the quick-reply library."""

    day: date = date(2026, 11, 11)
    """The peak day, in the plan's time zone."""
    reminder_grace_minutes: int = Field(default=60, ge=1)
    """A reminder whose time passed more than this long ago (the server was down) is recorded as
    missed instead of being sent late."""
    risks: dict[str, Risk] = {}
    timeline: list[Reminder] = []
    quick_replies: dict[str, QuickReply] = {}


class Escalation(Strict):
    """Paging until someone answers (issue 17), per level: the paged person has ``ack_minutes``
    to acknowledge, else the next person of the handler role on call is paged, then the
    ``supervisor`` role; the whole sequence repeats up to ``rounds`` times. It runs beside the
    S3.4 handling deadline and never changes it."""

    ack_minutes: int = Field(gt=0, le=24 * 60)
    rounds: int = Field(default=3, ge=1, le=20)
    supervisor: str | None = None
    """Paged after the handler role; default the level's supervisor, else its first
    ``escalate_to`` role."""


class Inhibition(Strict):
    """Noise control (issue 17): while an incident of kind ``source`` is active at a hub, the
    ``target`` incidents of the areas behind that hub are muted (not paged) and listed under it,
    since they are the same trouble seen downstream: a transit interruption at a hub leaves the
    areas it feeds with a backlog. The plan does not otherwise know which areas a hub feeds, so
    ``behind`` says it: hub (the ``source`` incident's area) to the areas it feeds."""

    source: str
    target: str
    behind: dict[str, list[str]] = Field(min_length=1)


class OnCall(Strict):
    """Schedules, paging and noise control (issue 17)."""

    needs: list[str] = []
    """Roles that must be on call around the clock: a time nobody of one is on call is a
    coverage gap (S1.4 staff shortage)."""
    gap_days_ahead: int = Field(default=3, ge=1, le=31)
    """How far ahead gaps are looked for (readiness page and readiness items)."""
    gap_risk: str | None = "staff"
    """The readiness risk a coverage gap becomes an item of (S1.4); null: page only."""
    gap_owner_role: str = "deputy"
    handover_grace_minutes: int = Field(default=60, ge=1)
    """A hand-over message not sent within this long after the hand-over (server down) is
    skipped rather than sent late."""
    escalation: dict[str, Escalation] = {}
    feed_silent_minutes: int = Field(default=15, ge=1)
    """A site or shop feed with no event for this long opens ``feed_silent`` once."""
    phone_sms_from: str | None = None
    """Phone calls and SMS (a person's ``twilio://``, ``plivo://``... channels) are tried for
    incidents of this level and above only (issue 17); lower levels and other messages skip
    them. None: every message may use them."""
    break_quiet_hours: list[str] = []
    """Levels whose messages ring a phone or send an SMS even in the person's quiet hours."""
    inhibit: list[Inhibition] = []
    snooze_max_hours: int = Field(default=12, ge=1, le=72)
    """The longest a person may snooze an incident's paging in one go."""
    client_update_minutes: dict[str, int] = {}
    """Per level: an active incident that touches a client's orders or parcels reminds its
    handler this often to post an update the client reads in the portal (S3.7 (5), (6))."""


class Plan(Strict):
    name: Text
    timezone: str = "Asia/Shanghai"
    deadline_warning_percent: int = Field(default=80, ge=1, le=99)
    """Share of an incident's deadline after which the handler is told it is near (S3.4)."""
    roles: list[str] = Field(min_length=1)
    penalty_ladder: list[PenaltyStep] = Field(min_length=1)
    levels: dict[str, Level] = Field(min_length=1)
    playbooks: dict[str, list[Text]]
    kinds: dict[str, Kind] = Field(min_length=1)
    detection: Detection = Detection()
    warehouse: Warehouse = Warehouse()
    readiness: Readiness = Readiness()
    oncall: OnCall = OnCall()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        ranks = [lv.rank for lv in self.levels.values()]
        if len(set(ranks)) != len(ranks):
            raise ValueError("levels: every level needs its own rank")
        people = set(self.roles)
        for key, level in self.levels.items():
            for field, roles in (
                ("notify", level.notify),
                ("handler", [level.handler]),
                ("supervisor", [level.supervisor] if level.supervisor else []),
                ("report_to", [level.report_to]),
                ("escalate_to", level.escalate_to),
            ):
                unknown = [r for r in roles if r not in people | {AUTHORITY}]
                if unknown:
                    raise ValueError(f"levels.{key}.{field}: unknown role {unknown[0]!r}")
            if level.handler == AUTHORITY:
                raise ValueError(f"levels.{key}.handler: the authorities do not handle incidents")
        for exception, kind_key in self.detection.l1_exceptions.items():
            if kind_key not in self.kinds:
                raise ValueError(f"detection.l1_exceptions.{exception}: unknown kind {kind_key!r}")
        for key, kind in self.kinds.items():
            if kind.level not in self.levels:
                raise ValueError(f"kinds.{key}.level: unknown level {kind.level!r}")
            if kind.playbook not in self.playbooks:
                raise ValueError(f"kinds.{key}.playbook: unknown playbook {kind.playbook!r}")
            previous_count, previous_rank = 0, self.levels[kind.level].rank
            for i, th in enumerate(kind.thresholds):
                where = f"kinds.{key}.thresholds.{i}"
                if th.level not in self.levels:
                    raise ValueError(f"{where}.level: unknown level {th.level!r}")
                if th.min_count <= previous_count:
                    raise ValueError(f"{where}.min_count: must be larger than the one before")
                if self.levels[th.level].rank <= previous_rank:
                    raise ValueError(f"{where}.level: must be above the level before it")
                previous_count, previous_rank = th.min_count, self.levels[th.level].rank
        self._check_readiness(people)
        self._check_oncall(people)
        return self

    def _check_oncall(self, people: set[str]) -> None:
        o = self.oncall
        unknown = [role for role in o.needs if role not in people]
        if unknown:
            raise ValueError(f"oncall.needs: unknown role {unknown[0]!r}")
        if o.gap_owner_role not in people:
            raise ValueError(f"oncall.gap_owner_role: unknown role {o.gap_owner_role!r}")
        if o.gap_risk is not None and o.gap_risk not in self.readiness.risks:
            raise ValueError(f"oncall.gap_risk: unknown risk {o.gap_risk!r}")
        if o.phone_sms_from is not None and o.phone_sms_from not in self.levels:
            raise ValueError(f"oncall.phone_sms_from: unknown level {o.phone_sms_from!r}")
        unknown = [level for level in o.break_quiet_hours if level not in self.levels]
        if unknown:
            raise ValueError(f"oncall.break_quiet_hours: unknown level {unknown[0]!r}")
        for key, rule in o.escalation.items():
            if key not in self.levels:
                raise ValueError(f"oncall.escalation.{key}: unknown level {key!r}")
            if rule.supervisor is not None and rule.supervisor not in people:
                raise ValueError(f"oncall.escalation.{key}.supervisor: unknown role {rule.supervisor!r}")
        for i, inhibition in enumerate(o.inhibit):
            for field in ("source", "target"):
                if getattr(inhibition, field) not in self.kinds:
                    raise ValueError(f"oncall.inhibit.{i}.{field}: unknown kind {getattr(inhibition, field)!r}")
            if inhibition.source == inhibition.target:
                raise ValueError(f"oncall.inhibit.{i}.target: an incident kind cannot mute itself")
        for key, minutes in o.client_update_minutes.items():
            if key not in self.levels:
                raise ValueError(f"oncall.client_update_minutes.{key}: unknown level {key!r}")
            if not 1 <= minutes <= 24 * 60:
                raise ValueError(f"oncall.client_update_minutes.{key}: 1 to 1440 minutes")

    def _check_readiness(self, people: set[str]) -> None:
        r = self.readiness
        for key, risk in r.risks.items():
            if risk.kind is not None and risk.kind not in self.kinds:
                raise ValueError(f"readiness.risks.{key}.kind: unknown kind {risk.kind!r}")
            for i, item in enumerate(risk.items):
                if item.owner_role not in people:
                    raise ValueError(f"readiness.risks.{key}.items.{i}.owner_role: unknown role {item.owner_role!r}")
        for i, reminder in enumerate(r.timeline):
            unknown = [role for role in reminder.roles if role not in people]
            if unknown:
                raise ValueError(f"readiness.timeline.{i}.roles: unknown role {unknown[0]!r}")
        for key, reply in r.quick_replies.items():
            unknown = [kind for kind in reply.kinds if kind not in self.kinds]
            if unknown:
                raise ValueError(f"readiness.quick_replies.{key}.kinds: unknown kind {unknown[0]!r}")
