"""`peakguard warehouse ...` as an operator runs it (S2.1-S2.11): client, bay, lease, SKU with a
generated barcode, inbound, pallet, order, wave, scan, pack, hand-over, invoice; bad input exits
2 naming the field and stores nothing."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_cli import run


def test_cli_walk(db_url: str, tmp_path: Path) -> None:
    run(db_url, "warehouse", "client-add", "shop-c", "店铺C", "--storage", "dedicated")
    run(
        db_url,
        "warehouse",
        "bay-add",
        "C",
        "--area",
        "50",
        "--kind",
        "dedicated",
        "--client",
        "1",
        "--racks",
        "01,02",
        "--levels",
        "1",
    )
    out = run(
        db_url,
        "warehouse",
        "lease-add",
        "--client",
        "1",
        "--area",
        "20",
        "--rate",
        "1.5",
        "--start",
        "2026-11-01",
        "--at",
        "2026-11-11T00:00:00+08:00",
    ).stdout
    assert "40% leased" in out
    bad = run(
        db_url,
        "warehouse",
        "lease-add",
        "--client",
        "1",
        "--area",
        "0",
        "--rate",
        "1.5",
        "--start",
        "2026-11-01",
        check=False,
    )
    assert bad.returncode == 2 and "area_m2" in bad.stderr
    sku = run(db_url, "warehouse", "sku-add", "--client", "1", "--code", "K", "--name", "壶").stdout
    barcode = re.search(r"(PG\d+)", sku).group(1)  # type: ignore[union-attr]
    bad = run(
        db_url,
        "warehouse",
        "sku-add",
        "--client",
        "1",
        "--code",
        "L",
        "--name",
        "x",
        "--barcode",
        "4006381333932",
        check=False,
    )
    assert bad.returncode == 2 and "wrong check digit" in bad.stderr
    run(db_url, "warehouse", "sku-label", "1", str(tmp_path / "k.zpl"), "--format", "zpl")
    assert (tmp_path / "k.zpl").read_text().startswith("^XA")
    run(db_url, "warehouse", "inbound", "--client", "1", "--line", "K=5")
    run(db_url, "warehouse", "receive", "1", "--barcode", barcode, "--qty", "5")
    assert "0 discrepancies" in run(db_url, "warehouse", "close-inbound", "1").stdout
    assert "put away at C-01-1" in run(db_url, "warehouse", "pallet", "--client", "1", "--item", "K=5").stdout
    csv = run(db_url, "warehouse", "stock", "--format", "csv").stdout
    assert "K," in csv and ",5,0,5," in csv
    run(db_url, "warehouse", "order", "--client", "1", "--ref", "C-1", "--carrier", "sf", "--line", "K=2")
    assert "C-01-1" in run(db_url, "warehouse", "wave").stdout
    bad = run(
        db_url,
        "warehouse",
        "pick",
        "1",
        "--location",
        "C-01-1",
        "--barcode",
        barcode,
        "--qty",
        "3",
        check=False,
    )
    assert bad.returncode == 2 and "over-pick" in bad.stderr
    assert (
        "wave done"
        in run(
            db_url, "warehouse", "pick", "1", "--location", "C-01-1", "--barcode", barcode, "--qty", "2"
        ).stdout
    )
    run(db_url, "warehouse", "pack", "1", "--weight", "2.5", "--waybill", str(tmp_path / "w.pdf"))
    assert (tmp_path / "w.pdf").read_bytes().startswith(b"%PDF")
    assert "1 parcels" in run(db_url, "warehouse", "handover", "sf").stdout
    out = run(
        db_url,
        "warehouse",
        "invoice",
        "--client",
        "1",
        "--month",
        "2026-11",
        "--at",
        "2026-12-01T09:00:00+08:00",
        "--out",
        str(tmp_path / "inv.pdf"),
    ).stdout
    assert "900.00" in out  # 20 m2 x 30 days x 1.5; fees are free on an empty price list
    assert (tmp_path / "inv.pdf").read_bytes().startswith(b"%PDF")
