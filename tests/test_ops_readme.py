"""The README's "Running it for real" commands for health checks, metrics, logs and backups run
as written (issue 13): each bash block of those sections runs in a fresh directory, with
``./dev`` standing for this environment's ``peakguard`` and a free port for 8000."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_restart import free_port

README = Path(__file__).parents[1] / "README.md"


def bash_blocks(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = min(i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i > 0)
    return re.findall(r"```bash\n(.*?)```", text[start:end], re.S)


def run_block(block: str, folder: Path) -> subprocess.CompletedProcess[str]:
    port = free_port()
    script = (
        block.replace("./dev ", f"{sys.executable} -m peakguard.cli ")
        .replace("peakguard.cli serve", f"peakguard.cli serve --port {port}")
        .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    )
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": f"sqlite:///{folder / 'peakguard.db'}", "COLUMNS": "200"}
    env.pop("PEAKGUARD_METRICS_TOKEN", None)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_health_metrics_and_logs_block_runs(tmp_path: Path) -> None:
    (block,) = bash_blocks("### Health checks, metrics and logs")
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    ready, *active = done.stdout.strip().splitlines()
    assert json.loads(ready)["status"] == "ready"
    assert active and all(line.startswith("peakguard_incidents_active{level=") for line in active)
    logged = [json.loads(line) for line in (tmp_path / "peakguard.log").read_text().splitlines()]
    assert any(r.get("route") == "/metrics" and r.get("status") == 200 for r in logged)


@pytest.mark.parametrize("block", range(len(bash_blocks("### Backups"))))
def test_the_backup_block_runs(tmp_path: Path, block: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "peakguard.cli", "db", "upgrade"],
        cwd=tmp_path,
        env={**os.environ, "PEAKGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'peakguard.db'}"},
        check=True,
        capture_output=True,
    )
    done = run_block(bash_blocks("### Backups")[block], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "backed up" in done.stdout and "restored" in done.stdout
    assert "pg_dump --format=custom" in done.stdout and (tmp_path / "peakguard-backup.db").exists()
