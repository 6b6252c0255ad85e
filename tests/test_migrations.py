"""Every schema change is a migration (ARCHITECTURE): the migrated database matches the models
exactly, on SQLite and PostgreSQL; and a migration that adds derived data fills it in for rows
made before it (0008: the walking order of waves already released, S2.9). A one-shot command
skips Alembic when the database is at the heads read from the scripts' text, so that reading
must agree with Alembic's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

import peakguard.models  # noqa: F401  (every domain's tables on Base.metadata)
from peakguard.db import Base, Database, alembic_config, applied_heads, database_for, script_heads, upgrade
from peakguard.monitor.models import FILL_FACTOR, ParcelState, SiteHeard
from peakguard.warehouse import clients, inbound, outbound, picking, skus
from peakguard.warehouse.models import PickTask
from tests.factories import ADMIN


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_heads_read_from_the_scripts_are_alembics_and_a_migrated_database_is_at_them(db):
    alembic_heads = frozenset(ScriptDirectory.from_config(alembic_config(db)).get_heads())
    assert script_heads() == alembic_heads
    assert applied_heads(db) == alembic_heads


def test_a_database_behind_the_scripts_is_migrated_on_first_use(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert applied_heads(Database(url)) is None  # no alembic_version table yet
    upgrade(Database(url), "0001")
    assert applied_heads(Database(url)) == {"0001"}
    assert applied_heads(database_for(url)) == script_heads()


def test_walk_rank_migration_ranks_released_waves_by_location_code(db, clock, plan):
    now = clock.now()
    with db.transaction() as s:
        shop = clients.create_client(s, ADMIN, now, code="shop", name="Shop")
        bay = clients.create_bay(s, ADMIN, now, code="B", area_m2="50")
        # made in the reverse of walking order, so location and task ids do not give the walk
        clients.create_locations(s, ADMIN, now, bay_id=bay.id, racks=["02", "01"], levels=["1"])
        for code, location in (("FAR", "B-02-1"), ("NEAR", "B-01-1")):
            sku = skus.create_sku(s, ADMIN, now, client_id=shop.id, code=code, name=code)
            got = inbound.create_plan(s, ADMIN, now, client_id=shop.id, lines=[inbound.PlanLineIn(code, 5)])
            inbound.receive(s, ADMIN, now, plan_id=got.id, barcode=sku.barcode, quantity=5)
            pallet = inbound.palletize(s, ADMIN, now, client_id=shop.id, items=[inbound.PalletItem(code, 5)])
            inbound.putaway(s, ADMIN, now, pallet_id=pallet.id, location_code=location, override=True)
            order = outbound.create_order(
                s, ADMIN, now, plan, client_id=shop.id, ref=code, carrier="sf",
                lines=[outbound.OrderLineIn(code, 2)],
            )  # fmt: skip
            outbound.allocate(s, ADMIN, now, order.id)
        wave = outbound.create_wave(s, ADMIN, now)
    with db.transaction() as s:
        walk = [(t.id, t.walk_rank) for t, _, _ in outbound.wave_tasks(s, wave.id)]
        far, near = sorted(task_id for task_id, _ in walk)  # FAR's task was made first
        assert walk == [(near, 0), (far, 1)]

    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008-1")
    upgrade(db)
    with db.transaction() as s:
        assert dict(s.execute(select(PickTask.id, PickTask.walk_rank)).all()) == {near: 0, far: 1}
        first = picking.next_task(s, wave.id)
        assert first is not None and (first.id, first.location) == (near, "B-01-1")


def test_site_heard_migration_fills_each_sites_newest_scan_from_parcel_state(db, clock):
    """0014s moves the heartbeat from an index on ``parcel_state.ts`` (written by every upsert)
    to a few rows per site: a database migrated with parcels already stored keeps its sites' times."""
    now = clock.now()
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014s-1")
    with db.transaction() as s:
        s.add_all(
            ParcelState(parcel_id=pid, ts=now - timedelta(minutes=m), status="hub_arrived", area="A", site=site)
            for pid, m, site in (("P1", 5, "S1"), ("P2", 1, "S1"), ("P3", 9, "S2"))
        )
    upgrade(db)
    with db.transaction() as s:
        sites = dict(s.execute(select(SiteHeard.site, SiteHeard.ts)).all())
    assert sites == {"S1": now - timedelta(minutes=1), "S2": now - timedelta(minutes=9)}


def test_parcel_state_pages_keep_room_for_a_parcels_next_scan_on_postgresql(db, db_url):
    """A parcel's next scan changes no indexed column, so with room on its page PostgreSQL
    writes it there without a new index entry (a HOT update): the models and the migration
    both ask for it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL storage parameter")
    with db.engine.connect() as conn:
        options = conn.exec_driver_sql("SELECT reloptions FROM pg_class WHERE relname = 'parcel_state'").scalar()
    assert options == [f"fillfactor={FILL_FACTOR}"]
    assert ParcelState.__table__.dialect_options["postgresql"]["with"] == {"fillfactor": FILL_FACTOR}
