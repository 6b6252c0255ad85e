"""warehouse 3PL: clients, bays, leases, billing, stock ledger, inbound, outbound (S2.1-S2.11)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 03:19:15.442099
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wh_carrier_counters",
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("carrier", name=op.f("pk_wh_carrier_counters")),
    )
    op.create_table(
        "wh_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("storage", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_clients")),
        sa.UniqueConstraint("code", name=op.f("uq_wh_clients_code")),
    )
    op.create_table(
        "wh_manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_manifests")),
    )
    op.create_table(
        "wh_prices",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_wh_prices")),
    )
    op.create_table(
        "wh_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_waves")),
    )
    op.create_table(
        "wh_bays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("area_m2", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_bays_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_bays")),
        sa.UniqueConstraint("code", name=op.f("uq_wh_bays_code")),
    )
    op.create_table(
        "wh_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_fees_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_fees")),
    )
    with op.batch_alter_table("wh_fees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_fees_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_fees_day"), ["day"], unique=False)

    op.create_table(
        "wh_inbound_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_inbound_plans_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_inbound_plans")),
    )
    with op.batch_alter_table("wh_inbound_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_inbound_plans_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_invoices_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_invoices")),
        sa.UniqueConstraint("client_id", "month", name=op.f("uq_wh_invoices_client_id")),
    )
    with op.batch_alter_table("wh_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_invoices_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_leases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("area_m2", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("daily_rate", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("area_m2 >= 1", name=op.f("ck_wh_leases_area_min")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_leases_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_leases")),
    )
    with op.batch_alter_table("wh_leases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_leases_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_orders_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_orders")),
        sa.UniqueConstraint("client_id", "ref", name=op.f("uq_wh_orders_client_id")),
    )
    with op.batch_alter_table("wh_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_orders_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_orders_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_orders_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "wh_skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("barcode_kind", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_skus_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_skus")),
        sa.UniqueConstraint("barcode", "client_id", name=op.f("uq_wh_skus_barcode")),
        sa.UniqueConstraint("code", "client_id", name=op.f("uq_wh_skus_code")),
    )
    with op.batch_alter_table("wh_skus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_skus_barcode"), ["barcode"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_skus_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_bay_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bay_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bay_id"], ["wh_bays.id"], name=op.f("fk_wh_bay_access_bay_id_wh_bays")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_bay_access")),
    )
    with op.batch_alter_table("wh_bay_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_bay_access_bay_id"), ["bay_id"], unique=False)

    op.create_table(
        "wh_bay_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bay_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bay_id"], ["wh_bays.id"], name=op.f("fk_wh_bay_grants_bay_id_wh_bays")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_bay_grants_client_id_wh_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_bay_grants")),
        sa.UniqueConstraint("bay_id", "client_id", name=op.f("uq_wh_bay_grants_bay_id")),
    )
    with op.batch_alter_table("wh_bay_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_bay_grants_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_inbound_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["wh_inbound_plans.id"], name=op.f("fk_wh_inbound_lines_plan_id_wh_inbound_plans")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["wh_skus.id"], name=op.f("fk_wh_inbound_lines_sku_id_wh_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_inbound_lines")),
    )
    with op.batch_alter_table("wh_inbound_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_inbound_lines_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "wh_invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["wh_invoices.id"], name=op.f("fk_wh_invoice_lines_invoice_id_wh_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_invoice_lines")),
    )
    with op.batch_alter_table("wh_invoice_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_invoice_lines_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "wh_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bay_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("rack", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["bay_id"], ["wh_bays.id"], name=op.f("fk_wh_locations_bay_id_wh_bays")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_wh_locations_code")),
    )
    with op.batch_alter_table("wh_locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_locations_bay_id"), ["bay_id"], unique=False)

    op.create_table(
        "wh_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["wh_orders.id"], name=op.f("fk_wh_order_lines_order_id_wh_orders")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["wh_skus.id"], name=op.f("fk_wh_order_lines_sku_id_wh_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_order_lines")),
    )
    with op.batch_alter_table("wh_order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "wh_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=True),
        sa.Column("packed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_packages_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["wh_orders.id"], name=op.f("fk_wh_packages_order_id_wh_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_packages")),
        sa.UniqueConstraint("order_id", name=op.f("uq_wh_packages_order_id")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_wh_packages_tracking_no")),
    )
    with op.batch_alter_table("wh_packages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_packages_manifest_id"), ["manifest_id"], unique=False)

    op.create_table(
        "wh_stock_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_wh_stock_balances_on_hand_min")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand", name=op.f("ck_wh_stock_balances_reserved_range")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_stock_balances_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["wh_skus.id"], name=op.f("fk_wh_stock_balances_sku_id_wh_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_stock_balances")),
        sa.UniqueConstraint("sku_id", "place", name=op.f("uq_wh_stock_balances_sku_id")),
    )
    with op.batch_alter_table("wh_stock_balances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_stock_balances_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_stock_balances_location_id"), ["location_id"], unique=False)

    op.create_table(
        "wh_stock_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("from_place", sa.String(length=40), nullable=False),
        sa.Column("to_place", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_wh_stock_moves_positive")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_stock_moves_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["wh_skus.id"], name=op.f("fk_wh_stock_moves_sku_id_wh_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_stock_moves")),
    )
    with op.batch_alter_table("wh_stock_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_stock_moves_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_stock_moves_sku_id"), ["sku_id"], unique=False)

    op.create_table(
        "wh_pallets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_pallets_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["wh_locations.id"], name=op.f("fk_wh_pallets_location_id_wh_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_pallets")),
        sa.UniqueConstraint("code", name=op.f("uq_wh_pallets_code")),
    )
    with op.batch_alter_table("wh_pallets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_pallets_client_id"), ["client_id"], unique=False)

    op.create_table(
        "wh_pick_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint("picked >= 0 AND picked <= quantity", name=op.f("ck_wh_pick_tasks_picked_range")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["wh_clients.id"], name=op.f("fk_wh_pick_tasks_client_id_wh_clients")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["wh_locations.id"], name=op.f("fk_wh_pick_tasks_location_id_wh_locations")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["wh_orders.id"], name=op.f("fk_wh_pick_tasks_order_id_wh_orders")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["wh_skus.id"], name=op.f("fk_wh_pick_tasks_sku_id_wh_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_pick_tasks")),
    )
    with op.batch_alter_table("wh_pick_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_pick_tasks_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wh_pick_tasks_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "wh_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("qc", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["wh_inbound_lines.id"], name=op.f("fk_wh_receipts_line_id_wh_inbound_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wh_receipts")),
    )
    with op.batch_alter_table("wh_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wh_receipts_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wh_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_receipts_line_id"))

    op.drop_table("wh_receipts")
    with op.batch_alter_table("wh_pick_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_pick_tasks_wave_id"))
        batch_op.drop_index(batch_op.f("ix_wh_pick_tasks_order_id"))

    op.drop_table("wh_pick_tasks")
    with op.batch_alter_table("wh_pallets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_pallets_client_id"))

    op.drop_table("wh_pallets")
    with op.batch_alter_table("wh_stock_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_stock_moves_sku_id"))
        batch_op.drop_index(batch_op.f("ix_wh_stock_moves_client_id"))

    op.drop_table("wh_stock_moves")
    with op.batch_alter_table("wh_stock_balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_stock_balances_location_id"))
        batch_op.drop_index(batch_op.f("ix_wh_stock_balances_client_id"))

    op.drop_table("wh_stock_balances")
    with op.batch_alter_table("wh_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_packages_manifest_id"))

    op.drop_table("wh_packages")
    with op.batch_alter_table("wh_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_order_lines_order_id"))

    op.drop_table("wh_order_lines")
    with op.batch_alter_table("wh_locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_locations_bay_id"))

    op.drop_table("wh_locations")
    with op.batch_alter_table("wh_invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_invoice_lines_invoice_id"))

    op.drop_table("wh_invoice_lines")
    with op.batch_alter_table("wh_inbound_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_inbound_lines_plan_id"))

    op.drop_table("wh_inbound_lines")
    with op.batch_alter_table("wh_bay_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_bay_grants_client_id"))

    op.drop_table("wh_bay_grants")
    with op.batch_alter_table("wh_bay_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_bay_access_bay_id"))

    op.drop_table("wh_bay_access")
    with op.batch_alter_table("wh_skus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_skus_client_id"))
        batch_op.drop_index(batch_op.f("ix_wh_skus_barcode"))

    op.drop_table("wh_skus")
    with op.batch_alter_table("wh_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_orders_wave_id"))
        batch_op.drop_index(batch_op.f("ix_wh_orders_status"))
        batch_op.drop_index(batch_op.f("ix_wh_orders_client_id"))

    op.drop_table("wh_orders")
    with op.batch_alter_table("wh_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_leases_client_id"))

    op.drop_table("wh_leases")
    with op.batch_alter_table("wh_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_invoices_client_id"))

    op.drop_table("wh_invoices")
    with op.batch_alter_table("wh_inbound_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_inbound_plans_client_id"))

    op.drop_table("wh_inbound_plans")
    with op.batch_alter_table("wh_fees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wh_fees_day"))
        batch_op.drop_index(batch_op.f("ix_wh_fees_client_id"))

    op.drop_table("wh_fees")
    op.drop_table("wh_bays")
    op.drop_table("wh_waves")
    op.drop_table("wh_prices")
    op.drop_table("wh_manifests")
    op.drop_table("wh_clients")
    op.drop_table("wh_carrier_counters")
