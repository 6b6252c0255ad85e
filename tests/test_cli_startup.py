"""The CLI imports a domain only when one of its commands runs (issue 14: `peakguard --help`
took 1.8 s, most of it importing Numba, Polars and every domain). The root's table of commands
must say exactly what the domains register, with their own one-line help."""

from __future__ import annotations

import subprocess
import sys

from peakguard import cli


def test_the_command_table_matches_what_the_domains_register():
    real = {}
    for source in cli.SOURCES:
        group = cli.domain_group(source)
        for name, command in group.commands.items():
            real[name] = (source, command.get_short_help_str(limit=300))
    assert real == cli.COMMANDS


def test_help_and_a_command_load_only_what_they_need():
    probe = (
        "import sys\n"
        "from peakguard import cli\n"
        "sys.argv = ['peakguard', *sys.argv[1:]]\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('numba', 'polars', 'sqlalchemy', 'reportlab', 'peakguard.warehouse', 'peakguard.monitor')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )

    def loaded(*args: str) -> str:
        out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    assert loaded("--help") == "[]"
    assert loaded("plan", "--help") == "[]"
    assert "peakguard.warehouse" not in loaded("ingest", "--help")


def test_every_command_is_reachable_and_unknown_ones_are_refused():
    from typer.testing import CliRunner

    runner = CliRunner()
    for name in cli.COMMANDS:
        assert runner.invoke(cli.app, [name, "--help"]).exit_code == 0, name
    assert runner.invoke(cli.app, ["no-such-command"]).exit_code == 2
