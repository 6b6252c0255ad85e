"""Schemathesis against the live API (issue 13 item 10): the app served by uvicorn on a local
port, every operation of its OpenAPI schema called over real HTTP with an admin token, valid and
invalid inputs generated from the schema. No answer may be a 500 and every answer must match
the schema it documents (the JSON error body for 4xx and 5xx included).

Bounded so it stays a few minutes on both databases: ``PEAKGUARD_FUZZ_EXAMPLES`` examples per
operation and generation mode (default 10, about 1,800 requests per database). The figures
(requests, 5xx, violations) are printed; run with ``-s`` to see them."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from peakguard.incidents import reporting
from tests.factories import ADMIN

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extras")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

EXAMPLES = int(os.environ.get("PEAKGUARD_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def live_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_no_operation_answers_500_or_breaks_its_schema(live_url, headers_for, db, clock):
    admin = headers_for("admin")
    with db.transaction() as s:  # something to find, so not every id is a 404
        reporting.report(s, ADMIN, clock.now(), kind="delay", area="FZ-01")
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json")
    figures: Counter[str] = Counter()
    problems: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, live_url, admin, figures, problems)
    figures["operations"] = len(list(schema.get_all_operations()))
    print(
        f"\nschemathesis on {db.dialect}: {figures['operations']} operations, "
        f"{figures['requests']} requests, {figures['5xx']} answers 5xx, "
        f"{figures['violations']} schema violations"
    )
    assert not problems, "\n".join(problems[:20])
    assert figures["requests"] >= figures["operations"] * EXAMPLES


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    url: str,
    admin: dict[str, str],
    figures: Counter[str],
    problems: list[str],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
        database=None,
        derandomize=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=url, headers=admin, timeout=30)
        figures["requests"] += 1
        where = f"{case.method} {case.formatted_path} ({mode.value})"
        if response.status_code >= 500:
            figures["5xx"] += 1
            problems.append(f"{where}: {response.status_code} {response.text[:200]}")
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except Exception as exc:  # a schemathesis failure group: one per check that failed
            if response.status_code < 500:
                figures["violations"] += 1
                problems.append(f"{where}: {response.status_code} {str(exc)[:400]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE
