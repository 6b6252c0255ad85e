"""The README's first-incident and warehouse commands run as written (issue 16): each bash
block runs in a fresh directory on its own database, with ``./dev`` standing for this
environment's ``peakguard`` (the same runner as the operations sections)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_ops_readme import bash_blocks, run_block

FIRST = "## Your first incident in under a minute (S3.3, S3.4)"
WAREHOUSE = "## The overflow warehouse as a 3PL service (S2.1-S2.11)"


def test_the_first_incident_blocks_run(tmp_path: Path) -> None:
    opened, follow = bash_blocks(FIRST)
    done = run_block(opened + follow, tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"level": "L2"' in done.stdout and "deadline" in done.stdout


@pytest.mark.parametrize("block", range(len(bash_blocks(WAREHOUSE))))
def test_the_warehouse_block_runs(tmp_path: Path, block: int) -> None:
    done = run_block(bash_blocks(WAREHOUSE)[block], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pallet LP0000000001 put away at C-01-1" in done.stdout and "1500.00" in done.stdout
    assert (tmp_path / "invoice.pdf").read_bytes().startswith(b"%PDF")
