"""Loading the plan and answering questions from it: which level a kind and count get, who is
told, who handles, by when (S3.3, S3.4). Nothing here hard-codes a threshold: they are the
plan's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from peakguard.errors import InvalidInput
from peakguard.plan.schemas import Kind, Level, Plan

DEFAULT_PLAN = Path(__file__).with_name("default.yaml")
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: it reads the plan in a tenth of the pure
Python one's time, which every one-shot command paid (issue 14: CLI start-up)."""


class PlanError(InvalidInput):
    """A plan file that does not validate; ``field`` is the dotted path into the YAML."""


def load_plan(path: Path | None = None) -> Plan:
    source = path or DEFAULT_PLAN
    try:
        raw: Any = yaml.load(source.read_text(encoding="utf-8"), Loader=SafeLoader)
    except FileNotFoundError as exc:
        raise PlanError("plan", "no such file: {source}", source=source) from exc
    except yaml.YAMLError as exc:
        raise PlanError("plan", "not valid YAML: {detail}", detail=exc) from exc
    if not isinstance(raw, dict):
        raise PlanError("plan", "the file must hold a mapping at the top")
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        path_text = ".".join(str(p) for p in err["loc"]) or "plan"
        message = str(err["msg"]).removeprefix("Value error, ")
        if ": " in message and err["type"] == "value_error" and not err["loc"]:
            path_text, message = message.split(": ", 1)
        raise PlanError(path_text, message) from exc


@lru_cache(maxsize=8)
def _cached(path: str | None) -> Plan:
    return load_plan(Path(path) if path else None)


def current_plan() -> Plan:
    """The plan this process runs on (``PEAKGUARD_PLAN`` or the built-in one), loaded once."""
    from peakguard.config import get_settings

    configured = get_settings().plan
    return _cached(str(configured) if configured else None)


def get_kind(plan: Plan, kind: str) -> Kind:
    try:
        return plan.kinds[kind]
    except KeyError:
        raise InvalidInput("kind", "unknown incident kind {kind!r}", kind=kind) from None


def level_for(plan: Plan, kind: str, count: int) -> str:
    """The level a report of ``count`` gets: the highest threshold it reaches, else the kind's
    base level. S3.3 "N or more" is ``count >= min_count``."""
    spec = get_kind(plan, kind)
    if count < 1:
        raise InvalidInput("count", "must be 1 or more")
    level = spec.level
    for threshold in spec.thresholds:
        if count >= threshold.min_count:
            level = threshold.level
    return level


def rank(plan: Plan, level: str) -> int:
    return get_level(plan, level).rank


def get_level(plan: Plan, level: str) -> Level:
    try:
        return plan.levels[level]
    except KeyError:
        raise InvalidInput("level", "unknown level {level!r}", level=level) from None


def levels_by_rank(plan: Plan) -> list[tuple[str, Level]]:
    """Most serious first, as the war room lists them."""
    return sorted(plan.levels.items(), key=lambda item: -item[1].rank)
