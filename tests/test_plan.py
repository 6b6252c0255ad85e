"""The plan as data (S3.3, S3.4, S3.5): every kind's level, every threshold edge, and clear errors
for a broken plan file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from peakguard.errors import InvalidInput
from peakguard.plan.service import DEFAULT_PLAN, PlanError, level_for, load_plan, rank

SEED_LEVELS = {
    "special": [
        "natural_disaster",
        "serious_traffic_accident",
        "fire",
        "employee_injury",
        "food_poisoning",
        "mass_incident",
        "terrorism",
        "national_security_parcel",
        "foreign_national_conflict",
    ],
    "L1": ["robbery_theft", "outlet_withholding", "traffic_accident", "prohibited_item"],
    "L3": ["complaint", "delay", "short_content", "service_quality", "service_attitude"],
}
CHOSEN = [
    "internal_conflict",
    "vehicle_breakdown",
    "platform_outage",
    "coupon_failure",
    "printer_failure",
    "power_outage",
    "network_outage",
    "staff_shortage",
    "warehouse_overflow",
]


@pytest.mark.parametrize(("kind", "level"), [(k, lv) for lv, ks in SEED_LEVELS.items() for k in ks])
def test_every_seed_kind_has_its_seed_level(plan, kind, level):
    """S3.3: the seed names the level of each of these kinds."""
    assert level_for(plan, kind, 1) == level
    assert level_for(plan, kind, 1000) == level  # no thresholds: the count does not matter


@pytest.mark.parametrize("kind", CHOSEN)
def test_kinds_without_a_seed_level_get_one_with_a_reason(plan, kind):
    spec = plan.kinds[kind]
    assert spec.level in plan.levels
    assert spec.reason and len(spec.reason) > 20


@pytest.mark.parametrize(("kind", "n"), [("backlog", 20), ("lost", 5), ("transit_interrupted", 100)])
def test_count_graded_kinds_at_n_minus_one_and_n(plan, kind, n):
    """S3.3 Level 2: "N or more" parcels in an area; below that Level 3."""
    assert level_for(plan, kind, 1) == "L3"
    assert level_for(plan, kind, n - 1) == "L3"
    assert level_for(plan, kind, n) == "L2"
    assert level_for(plan, kind, n + 1) == "L2"


def test_deadlines_and_chains_are_the_seeds(plan):
    """S3.4: 30 min / 8 h / 12 h / 24 h and who is told, handles, supervises, gets the result."""
    lv = plan.levels
    assert [lv[k].deadline_minutes for k in ("L3", "L2", "L1", "special")] == [30, 480, 720, 1440]
    assert (lv["L3"].handler, lv["L3"].report_to, lv["L3"].notify) == ("member", "deputy", ["member"])
    assert (lv["L2"].handler, lv["L2"].supervisor, lv["L2"].report_to) == ("member", "deputy", "leader")
    assert set(lv["L2"].notify) == {"member", "deputy"}
    assert (lv["L1"].handler, lv["L1"].notify) == ("leader", ["leader"])
    assert lv["special"].task_force and lv["special"].report_to == "authority"
    assert set(lv["special"].notify) == {"member", "deputy", "leader"}


def test_every_kind_has_a_playbook_of_steps_and_the_ladder_is_the_seeds(plan):
    """S3.5: handling measures per kind; the penalty ladder for a responsible outlet."""
    for key, kind in plan.kinds.items():
        assert plan.playbooks[kind.playbook], key
    assert [p.id for p in plan.penalty_ladder] == [
        "correction",
        "self_check",
        "rectification",
        "probation",
        "suspension",
        "replacement",
    ]


@given(
    kind=st.sampled_from(sorted(load_plan().kinds)),
    a=st.integers(min_value=1, max_value=10_000),
    b=st.integers(min_value=1, max_value=10_000),
)
def test_a_larger_count_never_gives_a_lower_level(kind, a, b):
    plan = load_plan()
    low, high = sorted((a, b))
    assert rank(plan, level_for(plan, kind, high)) >= rank(plan, level_for(plan, kind, low))


@pytest.mark.parametrize("count", [0, -1, -25])
def test_count_below_one_is_refused(plan, count):
    with pytest.raises(InvalidInput) as err:
        level_for(plan, "backlog", count)
    assert err.value.field == "count"


def test_unknown_kind_is_refused(plan):
    with pytest.raises(InvalidInput) as err:
        level_for(plan, "alien_landing", 1)
    assert err.value.field == "kind"


def _broken(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(DEFAULT_PLAN.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda p: p["levels"]["L2"].pop("deadline_minutes"), "levels.L2.deadline_minutes", "required"),
        (
            lambda p: p["levels"]["L3"].update(deadline_minutes=-5),
            "levels.L3.deadline_minutes",
            "greater than 0",
        ),
        (lambda p: p["kinds"]["fire"].update(level="L9"), "kinds.fire.level", "unknown level"),
        (
            lambda p: p["kinds"]["backlog"].update(playbook="nope"),
            "kinds.backlog.playbook",
            "unknown playbook",
        ),
        (
            lambda p: p["kinds"]["lost"].update(
                thresholds=[{"min_count": 5, "level": "L2"}, {"min_count": 3, "level": "L1"}]
            ),
            "kinds.lost.thresholds.1.min_count",
            "larger",
        ),
        (lambda p: p["levels"]["L2"].update(handler="janitor"), "levels.L2.handler", "unknown role"),
        (lambda p: p.update(timezone="Mars/Olympus"), "timezone", "unknown time zone"),
        (lambda p: p["kinds"]["fire"].update(colour="red"), "kinds.fire.colour", "Extra inputs"),
    ],
)
def test_broken_plan_names_the_field_and_the_reason(tmp_path, change, field, reason):
    path = _broken(tmp_path, change)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.field == field
    assert reason in err.value.reason


def test_plan_that_is_not_yaml(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("levels: [unclosed", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_plan(path)


def test_plan_check_cli_exit_codes(tmp_path):
    """`peakguard plan check FILE`: 0 and a summary for a good plan; 2 and field + reason for a bad one."""
    ok = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "plan", "check", str(DEFAULT_PLAN)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "4 levels" in ok.stdout
    bad = _broken(tmp_path, lambda p: p["kinds"]["fire"].update(level="L9"))
    run = subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "plan", "check", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "kinds.fire.level" in run.stderr and "unknown level" in run.stderr
