"""`peakguard demo`: one command that makes a demo database, starts the server on a simulated
clock, streams a simulated peak day into it at a speed-up, and prints the URL and the logins.

The server and the replay share one :class:`ScaledClock`, so deadlines count down and parcels
age at the same speed the events arrive: at 60x the first minute shows the first hour of the day,
when the injected faults form (incidents open, rise in level and count down).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from peakguard.app import create_app
from peakguard.audit.service import Actor
from peakguard.auth import service as auth
from peakguard.clock import ScaledClock
from peakguard.config import Settings
from peakguard.db import Database
from peakguard.demo.inbox import InboxServer
from peakguard.demo.people import DEMO_PASSWORD, DemoLogin, create_team
from peakguard.demo.printer import register_pdf_printer
from peakguard.demo.readiness import prepare as prepare_readiness
from peakguard.demo.server import ServerThread
from peakguard.demo.warehouse import create_warehouse
from peakguard.plan.service import current_plan
from peakguard.sim.generator import generate
from peakguard.sim.replay import replay

console = Console()


def fresh_database(path: Path) -> Database:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    return db


def run_demo(
    *,
    db_path: Path,
    host: str,
    port: int,
    speed: float,
    start: datetime,
    parcels: int,
    seed: int,
    duration: float | None,
    inbox_port: int = 0,
) -> None:
    plan = current_plan()
    db = fresh_database(db_path)
    clock = ScaledClock(start, speed, running=False)  # set going once the server is up
    actor = Actor(name="demo:setup", role="admin")
    inbox = InboxServer("127.0.0.1", inbox_port)
    inbox.start()
    with db.transaction() as session:
        logins = create_team(session, actor, clock.now(), plan, channel=inbox.channel)
        logins += create_warehouse(session, actor, clock.now(), plan)
        prepare_readiness(session, actor, clock.now(), plan)
        printing = register_pdf_printer(session, actor, clock.now())
        token = auth.create_token(session, actor, clock.now(), username="admin", name="demo feed")
    day = generate(plan, parcels=parcels, areas=8, seed=seed, start=start)
    settings = Settings(database_url=db.url, tick_seconds=1.0, clock_start=start, clock_speed=speed)
    server = ServerThread(create_app(settings, db=db, clock=clock, run_background=True), host, port)
    server.start()
    clock.begin()
    _banner(server.url, logins, speed, len(day.events), len(day.faults), db_path)
    console.print(f"Notifications arrive in the demo inbox / 通知收件箱: [bold cyan]{inbox.url}[/]")
    console.print(f"Printing / 打印: {printing}")
    stop = threading.Event()
    if duration is not None:
        threading.Timer(duration, stop.set).start()
    columns = (
        TextColumn("[bold]{task.fields[at]}[/bold] simulated"),
        BarColumn(),
        TextColumn("{task.completed} events"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("day", total=len(day.events), at=clock.now().strftime("%m-%d %H:%M"))
            replay(
                day.events,
                server.url,
                token,
                clock,
                should_stop=stop.is_set,
                on_progress=lambda sent, at: progress.update(
                    task, completed=sent, at=at.astimezone(start.tzinfo).strftime("%m-%d %H:%M")
                ),
            )
        if not stop.is_set():
            console.print("[green]the simulated day is over; the war room stays up until Ctrl-C[/green]")
            stop.wait()
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        server.stop()
        inbox.stop()
        db.dispose()


def _banner(url: str, logins: list[DemoLogin], speed: float, events: int, faults: int, db_path: Path) -> None:
    console.rule("[bold]PeakGuard demo / 双十一作战室演示")
    console.print(f"War room / 作战室: [bold cyan]{url}/[/]   API docs: {url}/docs   database: {db_path}")
    console.print(
        f"A simulated Double 11 at {speed:g}x: {events} events, {faults} injected faults. Ctrl-C stops."
    )
    table = Table("login / 账号", "password / 密码", "role / 角色", "name / 姓名")
    for login in logins:
        table.add_row(login.username, DEMO_PASSWORD, login.role, login.display_name)
    console.print(table)
