"""Chinese all the way through (issue 16): every page, the after-action review (Markdown and
PDF), the invoice (CSV and PDF), the compensation CSV, the notification messages and every
refusal a domain can give, rendered in zh_CN with data behind them, show no English word that
is not a code, an id, a unit or a name. A word found here is either translated or added below
with why."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from peakguard.compensation import service as compensation
from peakguard.i18n import catalog
from peakguard.incidents import export, lifecycle, reviews
from peakguard.incidents.models import Incident
from peakguard.notify.models import Notification
from peakguard.readiness import checklist, drills
from peakguard.warehouse import billing, inbound
from peakguard.web.routes_portal import TABS
from tests.factories import ADMIN, login, make_user, report
from tests.test_web_warehouse import HX
from tests.web_warehouse_setup import OTHER_EAN, build

ALLOWED = {
    "PeakGuard",  # the product's name
    "English",  # the language switch names its language in that language
    "CUP",  # SKU codes of the test warehouse
    "MUG",
    "PDF",  # file formats' names
    "CSV",
    "SKU",  # the trade's own word for a stock-keeping unit
    "CUPS",  # the print system's name
}
"""Codes, units and names that stay as they are in Chinese text."""

CATALOG_CODES = ALLOWED | {
    "lpstat",  # the print system's command
    "SQLite",  # databases, formats and standards by name
    "YAML",
    "JSON",
    "ISO",
    "MB",
    "API",  # what a web developer reads: HTTP terms and header values
    "Cookie",
    "Origin",
    "Bearer",
    "Debian",  # an install hint: the system and the command to type as it is
    "install",
    "peakguard",  # commands to type as they are
    "oncall",
    "rotation",
    "add",
    "roster",
    "list",
    "url",  # options to type as they are (--url, --until, --minutes)
    "until",
    "minutes",
    "token",
    "pdf",  # values to type as they are (the field takes exactly these)
    "zpl",
    "csv",
    "ndjson",
    "dedicated",
    "shared",
    "replace",
    "done",
    "skipped",
    "pending",
    "en",
    "Asia",  # a time zone's name (Asia/Shanghai)
}
"""What a Chinese catalog entry may hold in Latin letters beyond :data:`ALLOWED`: names of
systems and formats, and commands and values the reader types as they are."""

TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:/@-]*")


HIDDEN_OR_CODE = ("script", "style", "title", "svg", "code")
"""Elements whose text is not prose: scripts and styles, and ``<code>`` (a command to type)."""


class _Texts(HTMLParser):
    """The visible prose of a page (not scripts, styles, code or attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_OR_CODE:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_OR_CODE:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def words(text: str) -> set[str]:
    """English words in ``text``: a token of letters only that is not a code (a token with a
    digit, a dash or a dot, such as A-01-1, shop-a, S1.3 or T-1001; a single letter, such as the
    A of 店铺A) and not allowed above."""
    out = set()
    for token in TOKEN.findall(text):
        if re.fullmatch(r"[A-Za-z]{2,}", token) and token not in ALLOWED:
            out.add(token)
    return out


def catalog_words(text: str) -> set[str]:
    """English words in a catalog entry, its ``{placeholders}`` (filled with data) left out."""
    return {w for w in words(re.sub(r"\{[^}]*\}", "", text)) if w not in CATALOG_CODES}


def page_words(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return set().union(*(words(t) for t in parser.texts)) if parser.texts else set()


def test_no_english_words_in_the_chinese_floor_pages_and_documents(client, db, clock, plan):
    with db.transaction() as s:
        wh = build(s, clock.now(), plan)
    incident_id = report(db, clock, kind="backlog", area="FZ-01", count=25)
    token = login(client, make_user(db, clock, "admin"))
    client.post(f"/incidents/{incident_id}/ack", data={"csrf_token": token})
    for qc in ("fail", "pass"):
        client.post(
            f"/scan/receive/{wh.inbound_plan}",
            data={"csrf_token": token, "code": OTHER_EAN, "qc": qc, "reason": "破损"},
            headers=HX,
        )
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), incident_id, "积压已清")
        reviews.save_review(s, ADMIN, clock.now(), incident_id, root_cause="分拣线故障")
        lifecycle.close(s, ADMIN, clock.now(), incident_id)
        pallet = inbound.palletize(
            s, ADMIN, clock.now(), client_id=wh.shop_a, items=[inbound.PalletItem("MUG", 1)]
        )
    found: dict[str, set[str]] = {}
    for path in (
        "/scan",
        f"/scan/pick?wave={wh.wave}",
        f"/scan/receive?plan={wh.inbound_plan}",
        f"/scan/putaway?pallet={pallet.code}",
        "/scan/pack?order=SHOP-A-1001",
        "/scan/pick?wave=99",
        "/war-room",
        f"/incidents/{incident_id}",
        f"/portal/{wh.shop_a}/stock",
        f"/portal/{wh.shop_a}/orders",
        f"/portal/{wh.shop_a}/incidents",
        "/scorecard",
        "/admin/notifications",
    ):
        found[path] = page_words(client.get(path).text)
    for code in ("S-01-1", "Z-9"):
        r = client.post(f"/scan/putaway/{pallet.id}", data={"csrf_token": token, "code": code}, headers=HX)
        found[f"putaway {code}"] = page_words(r.text)
    with db.transaction() as s:
        found["review"] = words(export.markdown(s, s.get(Incident, incident_id), plan, "zh_CN"))
        invoice = billing.issue_invoice(s, ADMIN, clock.now(), plan, client_id=wh.shop_a, month="2026-11")
        found["invoice csv"] = words(billing.invoice_csv(s, invoice, "zh_CN"))
    english = {where: sorted(w) for where, w in found.items() if w}
    assert not english, "\n".join(f"{where}: {w}" for where, w in english.items())
    client.post("/lang", data={"language": "en", "csrf_token": token})
    assert {"Receive", "Pick"} <= page_words(client.get("/scan").text)  # the check does see English


def test_no_chinese_catalog_entry_holds_an_english_word():
    """Every zh_CN entry of every catalog (pages, notifications, reminders, PDFs, CSVs and the
    domain errors' message ids): what is not Chinese is a code or a name."""
    english = {
        msgid: sorted(found)
        for msgid, text in catalog("zh_CN").items()
        if re.search(r"[\u4e00-\u9fff]", text) and (found := catalog_words(text))
    }
    assert not english, "\n".join(f"{m!r}: {w}" for m, w in english.items())
    assert catalog_words("用 peakguard oncall 添加 the shift") == {"the", "shift"}  # it sees English


def pdf_text(data: bytes) -> str:
    """A PDF's text as poppler's pdftotext reads it (the test skips without it)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (Debian: poppler-utils) is needed to read the PDFs' text")
    return subprocess.run([tool, "-", "-"], input=data, capture_output=True, check=True).stdout.decode("utf-8")


def test_no_english_words_in_any_chinese_page_pdf_csv_or_message(client, db, clock, plan):
    """Every page a user reaches from the menus, with a warehouse, a resolved and reviewed
    incident, a drill, a compensation entry and the notifications they sent behind it."""
    with db.transaction() as s:
        wh = build(s, clock.now(), plan)
        checklist.init_from_plan(s, ADMIN, clock.now(), plan)
        drills.start(s, ADMIN, clock.now(), plan, "theft")
        compensation.register_affected(s, ADMIN, clock.now(), ["TB-1"], amounts={"TB-1": ("shop-a", "88")})
    incident_id = report(db, clock, kind="backlog", area="FZ-01", count=25)
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), incident_id, "积压已清")
        reviews.save_review(s, ADMIN, clock.now(), incident_id, root_cause="分拣线故障")
    token = login(client, make_user(db, clock, "admin"))
    found: dict[str, set[str]] = {}
    for path in (
        "/",
        "/war-room",
        "/war-room/live",
        "/readiness",
        "/compensation",
        "/oncall",
        "/admin/notifications",
        "/admin/plan",
        "/admin/roster",
        "/admin/users",
        "/admin/printers",
        "/account",
        f"/incidents/{incident_id}",
        f"/incidents/{incident_id}/head",
        "/portal",
        *(f"/portal/{wh.shop_a}/{tab}" for tab in TABS),
        "/scan",
        f"/scan/pack?order={wh.order}",
        "/incidents/9999",
    ):
        found[path] = page_words(client.get(path).text)
    refused = client.post(f"/incidents/{incident_id}/ack", data={"csrf_token": token}).text
    found["a refusal"] = page_words(refused)
    with db.transaction() as s:
        incident = s.get(Incident, incident_id)
        review = pdf_text(export.pdf(s, incident, plan, "zh_CN"))
        assert "事后总结" in review and "Timeline" in pdf_text(export.pdf(s, incident, plan, "en"))
        invoice = billing.issue_invoice(s, ADMIN, clock.now(), plan, client_id=wh.shop_a, month="2026-11")
        bill = pdf_text(billing.invoice_pdf(s, invoice, "zh_CN"))
        assert "账单" in bill and "店铺A" in bill  # the text is read, names and all
        found["review pdf"], found["invoice pdf"] = words(review), words(bill)
        found["compensation csv"] = words(compensation.export_csv(s, "zh_CN"))
        sent = s.scalars(select(Notification).where(Notification.language == "zh_CN")).all()
        assert sent, "the incident told nobody in Chinese: the check would see nothing"
        found["notifications"] = set().union(*(words(f"{n.subject}\n{n.body}") for n in sent))
    english = {where: sorted(w) for where, w in found.items() if w}
    assert not english, "\n".join(f"{where}: {w}" for where, w in english.items())
