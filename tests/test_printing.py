"""The print queue over real CUPS queues backed by cups-pdf (S1.6: several printers, a dead one
costs no labels). Each test makes its own queues, each writing PDFs into its own directory, so
"printed exactly once" is checked on the files that came out."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from peakguard.errors import Conflict, InvalidInput
from peakguard.incidents.models import Incident
from peakguard.labels import render
from peakguard.printing import ipp, service
from peakguard.printing.dispatch import dispatch
from peakguard.printing.models import PrintAttempt, PrintJob
from tests.factories import ADMIN

PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CONF_DIR = Path("/etc/cups")


def cups_missing() -> str | None:
    """Why these tests cannot run here, or None."""
    if shutil.which("lpadmin") is None or not PPD.exists():
        return "CUPS with cups-pdf is not installed (apt-get install cups printer-driver-cups-pdf)"
    try:
        ipp.CupsClient(timeout=3).printer("peakguard-probe")
    except ipp.IppError as exc:
        return f"cupsd does not answer: {exc}"
    if not CONF_DIR.is_dir() or not _writable(CONF_DIR):
        return "cannot write cups-pdf instance settings into /etc/cups (needs root)"
    return None


def _writable(path: Path) -> bool:
    probe = path / f".peakguard-{uuid.uuid4().hex}"
    try:
        probe.write_text("")
        probe.unlink()
        return True
    except OSError:
        return False


@dataclass(frozen=True)
class Queue:
    name: str
    out: Path

    def pdfs(self) -> list[str]:
        return sorted(p.name for p in self.out.glob("*.pdf"))


@pytest.fixture
def cups_queue(tmp_path: Path) -> Iterator[object]:
    """``cups_queue("a")`` makes a real CUPS queue whose cups-pdf instance writes into its own
    directory; every queue made is removed afterwards."""
    reason = cups_missing()
    if reason:
        pytest.skip(reason)
    made: list[tuple[str, Path]] = []

    def make(label: str, *, hold: bool = False) -> Queue:
        instance = f"pg{uuid.uuid4().hex[:8]}{label}"
        out = tmp_path / instance
        out.mkdir(mode=0o777)
        conf = CONF_DIR / f"cups-pdf-{instance}.conf"
        conf.write_text(f"Out {out}\nLabel 1\n")
        options = ["-o", "job-hold-until-default=indefinite"] if hold else []
        subprocess.run(
            ["lpadmin", "-p", instance, "-v", f"cups-pdf:/{instance}", "-P", str(PPD), "-E", *options],
            check=True,
            capture_output=True,
        )
        made.append((instance, conf))
        return Queue(instance, out)

    yield make
    for instance, conf in made:
        subprocess.run(["lpadmin", "-x", instance], capture_output=True)
        conf.unlink(missing_ok=True)


def pdf(n: int) -> bytes:
    return render.waybill(f"PG{n:010d}", "SF", [f"order {n}"])


def queue_files(db, clock, n: int) -> list[int]:
    with db.transaction() as s:
        return [
            service.submit(s, ADMIN, clock.now(), document=f"test:{i}", title=f"t{i}", data=pdf(i))[0].id
            for i in range(n)
        ]


def rounds_until_printed(db, clock, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        dispatch(db, clock.now())
        with db.transaction() as s:
            left = s.scalars(select(PrintJob.id).where(PrintJob.status != "printed")).all()
        if not left:
            return
        assert time.monotonic() < deadline, f"jobs {left} not printed after {timeout} s"
        clock.advance(seconds=1)
        time.sleep(0.5)


def printed_once(job_ids: list[int], *queues: Queue) -> None:
    """Every job's PDF is in the output exactly once, across all the queues (cups-pdf names a
    file after the job's title, ``peakguard-<job>-<attempt>``)."""
    files = [f for q in queues for f in q.pdfs()]
    for job_id in job_ids:
        mine = [f for f in files if f.startswith(f"peakguard-{job_id}-")]
        assert len(mine) == 1, f"job {job_id}: {mine}"
    assert len(files) == len(job_ids)


def test_cancelling_a_job_cups_holds_withdraws_it_there_and_ends_its_attempt(db, clock, cups_queue):
    """A label no longer wanted (S1.6) is taken out of the CUPS queue, never printed, and its
    attempt trail says cancelled, not sent."""
    held = cups_queue("h", hold=True)
    with db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), held.name, "Pack line H")
    [job_id] = queue_files(db, clock, 1)
    assert dispatch(db, clock.now()).sent == 1
    with db.transaction() as s:
        cups_job = s.get(PrintJob, job_id).cups_job_id
        service.cancel_job(s, ADMIN, clock.now(), job_id, ipp.CupsClient())
    with db.transaction() as s:
        assert s.get(PrintJob, job_id).status == "cancelled"
        assert [a.outcome for a in s.scalars(select(PrintAttempt).where(PrintAttempt.job_id == job_id))] == [
            "cancelled"
        ]
    assert (ipp.CupsClient().job(cups_job) or {}).get("state") == ipp.JOB_CANCELED
    assert held.pdfs() == []


def test_a_printer_disabled_mid_batch_loses_nothing_and_prints_nothing_twice(db, clock, cups_queue):
    """S1.6: twenty waybills over two printers, least loaded first; printer A is disabled while
    its share still waits in its queue (A holds its jobs, like a printer busy with a long run).
    A's unprinted jobs move to B, a printer_failure incident opens, and every waybill comes out
    exactly once as a PDF."""
    a, b = cups_queue("a", hold=True), cups_queue("b")
    with db.transaction() as s:
        pa = service.add_printer(s, ADMIN, clock.now(), a.name, "Pack line A").id
        pb = service.add_printer(s, ADMIN, clock.now(), b.name, "Pack line B").id
    jobs = queue_files(db, clock, 20)

    first = dispatch(db, clock.now())
    assert first.sent == 20
    with db.transaction() as s:
        on = {p: len(s.scalars(select(PrintJob.id).where(PrintJob.printer_id == p)).all()) for p in (pa, pb)}
    assert on == {pa: 10, pb: 10}, "least loaded first: an even split"

    subprocess.run(["cupsdisable", "-r", "paper jam", a.name], check=True)
    clock.advance(seconds=1)
    rounds_until_printed(db, clock)

    printed_once(jobs, a, b)
    assert a.pdfs() == []
    with db.transaction() as s:
        moved = s.scalars(select(PrintAttempt).where(PrintAttempt.outcome == "moved")).all()
        assert len(moved) == 10 and {m.printer_id for m in moved} == {pa}
        assert {j.printer_id for j in s.scalars(select(PrintJob))} == {pb}
        incident = s.scalars(select(Incident).where(Incident.kind == "printer_failure")).one()
        assert incident.area == "Pack line A" and "paper jam" in incident.summary
    assert not ipp.CupsClient().active_jobs(a.name), "nothing of ours is left waiting on A"


def test_a_printer_that_dies_is_reported_once_and_a_working_one_takes_the_jobs(db, clock, cups_queue):
    """A queue that rejects jobs is a failure: one incident however many rounds see it, and
    the jobs go to the other printer in the same round."""
    a, b = cups_queue("a"), cups_queue("b")
    subprocess.run(["cupsreject", a.name], check=True)
    with db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), a.name)
        service.add_printer(s, ADMIN, clock.now(), b.name)
    jobs = queue_files(db, clock, 3)
    rounds_until_printed(db, clock)
    dispatch(db, clock.now())
    printed_once(jobs, a, b)
    with db.transaction() as s:
        incident = s.scalars(select(Incident).where(Incident.kind == "printer_failure")).one()
        assert incident.count == 1 and incident.area == a.name
        printer = service.list_printers(s)[0]
        assert not printer.healthy and printer.state_message == "not accepting jobs"

    subprocess.run(["cupsaccept", a.name], check=True)
    dispatch(db, clock.now())
    with db.transaction() as s:
        printer = service.list_printers(s)[0]
        assert printer.healthy and printer.failed_at is None


def test_a_submission_whose_answer_was_lost_is_found_by_name_not_sent_again(db, clock, cups_queue):
    """A dispatcher that died after CUPS took the job but before it stored the job id: the next
    round finds the CUPS job by its name and follows it; the label comes out once."""
    a = cups_queue("a")
    with db.transaction() as s:
        printer = service.add_printer(s, ADMIN, clock.now(), a.name)
    dispatch(db, clock.now())  # health check
    (job_id,) = queue_files(db, clock, 1)
    with db.transaction() as s:
        ((job, chosen),) = service.claim(s, clock.now())
        assert chosen.id == printer.id
        ipp.CupsClient().print_job(a.name, service.job_name(job), job.data)  # the lost answer

    clock.advance(seconds=service.STALE_CLAIM.total_seconds() + 1)
    rounds_until_printed(db, clock)
    printed_once([job_id], a)
    with db.transaction() as s:
        assert [t.outcome for t in service.attempts_of(s, job_id)] == ["printed"]


def test_a_claim_cut_off_before_cups_had_it_is_sent_again(db, clock, cups_queue):
    a = cups_queue("a")
    with db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), a.name)
    dispatch(db, clock.now())
    (job_id,) = queue_files(db, clock, 1)
    with db.transaction() as s:
        assert len(service.claim(s, clock.now())) == 1  # and then the dispatcher died
    clock.advance(seconds=service.STALE_CLAIM.total_seconds() + 1)
    rounds_until_printed(db, clock)
    printed_once([job_id], a)
    with db.transaction() as s:
        assert [t.outcome for t in service.attempts_of(s, job_id)] == ["failed", "printed"]


def test_an_operator_switching_a_printer_off_moves_its_jobs_without_an_incident(db, clock, cups_queue):
    a, b = cups_queue("a", hold=True), cups_queue("b")
    with db.transaction() as s:
        pa = service.add_printer(s, ADMIN, clock.now(), a.name).id
        service.add_printer(s, ADMIN, clock.now(), b.name)
    dispatch(db, clock.now())
    jobs = queue_files(db, clock, 4)
    dispatch(db, clock.now())
    with db.transaction() as s:
        service.set_enabled(s, ADMIN, clock.now(), pa, False)
    rounds_until_printed(db, clock)
    printed_once(jobs, a, b)
    with db.transaction() as s:
        assert not s.scalars(select(Incident).where(Incident.kind == "printer_failure")).all()


# --- without CUPS ---------------------------------------------------------------------------


class OnlyPack1(ipp.CupsClient):
    """A CUPS that has one queue, ``pack-1`` (the real-CUPS tests above use real queues)."""

    def printer(self, queue: str) -> dict[str, object] | None:
        return (
            {"state": 3, "message": "", "reasons": [], "accepting": True, "queued": 0}
            if queue == "pack-1"
            else None
        )


class NoCups(ipp.CupsClient):
    def call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ipp.IppError("CUPS at /run/cups/cups.sock not reachable")


def test_bad_input_names_the_field_and_changes_nothing(db, clock):
    with db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), "pack-1", cups=OnlyPack1())
    for queue in ("", "has space", "a/b"):
        with pytest.raises(InvalidInput) as bad, db.transaction() as s:
            service.add_printer(s, ADMIN, clock.now(), queue, cups=OnlyPack1())
        assert bad.value.field == "queue"
    with pytest.raises(Conflict), db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), "pack-1", cups=OnlyPack1())
    # issue 16: a queue CUPS does not have, or a CUPS that cannot be asked, is refused
    with pytest.raises(InvalidInput, match="CUPS has no such queue") as bad, db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), "pack-2", cups=OnlyPack1())
    assert bad.value.field == "queue"
    with pytest.raises(Conflict, match="not reachable") as bad, db.transaction() as s:
        service.add_printer(s, ADMIN, clock.now(), "pack-2", cups=NoCups())
    for data, reason in ((b"", "empty"), (b"hello", "not a PDF")):
        with pytest.raises(InvalidInput, match=reason) as bad, db.transaction() as s:
            service.submit(s, ADMIN, clock.now(), document="x", title="x", data=data)
        assert bad.value.field == "data"
    with db.transaction() as s:
        assert len(service.list_printers(s)) == 1 and service.list_jobs(s) == []


def test_the_same_document_twice_is_one_job_unless_reprinted(db, clock):
    with db.transaction() as s:
        first, created = service.submit(s, ADMIN, clock.now(), document="waybill:1", title="w", data=pdf(1))
        again, created_again = service.submit(
            s, ADMIN, clock.now(), document="waybill:1", title="w", data=pdf(1)
        )
        reprint, _ = service.submit(
            s, ADMIN, clock.now(), document="waybill:1", title="w", data=pdf(1), reprint=True
        )
    assert created and not created_again and again.id == first.id and reprint.id != first.id


def test_with_no_printer_registered_a_round_asks_cups_nothing(db, clock):
    class Unreachable(ipp.CupsClient):
        def call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("CUPS was asked")

    queue_files(db, clock, 1)
    result = dispatch(db, clock.now(), Unreachable())
    assert (result.sent, result.waiting) == (0, 0)


def test_the_cli_adds_printers_queues_a_pdf_and_waits_until_it_printed(db_url, tmp_path, cups_queue):
    """`peakguard print ...` as an operator runs it, against a real queue."""
    from tests.test_cli import run

    a = cups_queue("a")
    run(db_url, "print", "add-printer", a.name, "--name", "Pack line A")
    document = tmp_path / "label.pdf"
    document.write_bytes(pdf(7))
    assert "print job 1" in run(db_url, "print", "file", str(document)).stdout
    run(db_url, "print", "dispatch", "--wait", "--timeout", "60")
    assert "printed" in run(db_url, "print", "jobs").stdout
    assert "Pack line A" in run(db_url, "print", "printers").stdout
    printed_once([1], a)
    bad = run(db_url, "print", "add-printer", "no such/queue", check=False)
    assert bad.returncode == 2 and "queue" in bad.stderr
    bad = run(db_url, "print", "add-printer", "pg-no-such-queue", check=False)  # issue 16: real CUPS says no
    assert bad.returncode == 2 and "CUPS has no such queue" in bad.stderr
    bad = run(db_url, "print", "document", "poster", "1", check=False)
    assert bad.returncode == 2 and "document" in bad.stderr
