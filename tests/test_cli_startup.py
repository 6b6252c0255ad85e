"""The CLI imports a domain only when one of its commands runs (issue 14: `peakguard --help`
took 1.8 s, most of it importing Numba, Polars and every domain). The root's table of commands
must say exactly what the domains register, with their own one-line help."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from peakguard import cli
from tests.test_layering import module_graph


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


def test_one_shot_commands_import_only_what_they_run(tmp_path):
    """Run for real against a migrated SQLite file: each command imports its own modules and the
    tables they use, not the heavy neighbours a module of its domain needs (issue 14)."""
    watched = (
        "numba",
        "polars",
        "nats",
        "httpx",
        "reportlab.pdfgen",
        "babel",
        "peakguard.warehouse.models",
        "peakguard.oncall.models",
    )
    probe = (
        "import sys\n"
        "from peakguard import cli\n"
        "sys.argv = ['peakguard', *sys.argv[1:]]\n"
        "try:\n    cli.main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"print(sorted(m for m in {watched!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PEAKGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def loaded(*args: str) -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True, env=env
        )
        return ast.literal_eval(out.stdout.strip().splitlines()[-1])

    loaded("incident", "open", "--kind", "fire", "--area", "HQ")  # migrates the new file first
    # opening one pages the on-call and tells people in their language: those are its own
    assert set(loaded("incident", "open", "--kind", "fire", "--area", "HQ")) <= {"babel", "peakguard.oncall.models"}
    assert loaded("incident", "list") == []
    heavy = {"numba", "polars", "nats", "httpx", "reportlab.pdfgen"}
    for command in (["chase-list"], ["readiness", "list"], ["print", "jobs"], ["scorecard", "outlets"]):
        assert not heavy & set(loaded(*command)), command


def test_every_command_is_reachable_and_unknown_ones_are_refused():
    from typer.testing import CliRunner

    runner = CliRunner()
    for name in cli.COMMANDS:
        assert runner.invoke(cli.app, [name, "--help"]).exit_code == 0, name
    assert runner.invoke(cli.app, ["no-such-command"]).exit_code == 2


def test_each_models_module_imports_the_tables_its_foreign_keys_point_to():
    """A command maps only the tables its modules import (``cli_support.open_db`` no longer loads
    every domain's), so a foreign key into another module's table must come with an import of
    that module: without it, flushing a row of the table fails on a command that happened not to
    import the target. Read from the import graph, so a string key a new model adds is caught here."""
    import peakguard.models  # noqa: F401  (every table, to see every key)
    from peakguard.db import Base

    graph = module_graph()

    def reachable(module: str) -> set[str]:
        seen: set[str] = set()
        todo = [module]
        while todo:
            for target in graph[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        return seen

    home = {mapper.local_table.name: mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert set(home) == set(Base.metadata.tables)
    missing = sorted(
        (home[table.name], key.target_fullname)
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
        if home[key.column.table.name] not in {home[table.name], *reachable(home[table.name])}
    )
    assert missing == []
