"""The README's block for inhibition, snooze, the scorecard and clients told (issue 17, S3.7)
runs as written, on its own database, with ``./dev`` standing for this environment's
``peakguard``."""

from __future__ import annotations

from pathlib import Path

from tests.test_ops_readme import bash_blocks, run_block

HEADING = "### Inhibition, snooze, the scorecard and clients told (issue 17, S3.7)"


def test_the_block_runs(tmp_path: Path) -> None:
    (block,) = bash_blocks(HEADING)
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "mutes now: #2 backlog A-01" in out
    assert "incident 3 snoozed until" in out and "承运商十点回电" in out
    assert "source_resolved" in out
    assert "self_check (Self-check)" in out
    assert '"key": "FZ-01"' in out
    assert "A-01 积压的快件今晚送达。" in out
