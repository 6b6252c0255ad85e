"""The demo's printer (S1.6): where CUPS runs with the cups-pdf driver, the demo registers a
queue that prints to PDF files, so "print waybill" really prints; without CUPS it registers
none, and the pack page says plainly that no printer is set up."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.printing import ipp, service

QUEUE = "PeakGuard-PDF"
NAME = "PDF 打印机 (cups-pdf)"
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")


def register_pdf_printer(session: Session, actor: Actor, now: datetime) -> str:
    """Register the cups-pdf queue (made with ``lpadmin`` when CUPS lacks it); returns what
    the demo's banner says about printing."""
    cups = ipp.CupsClient(timeout=3)
    try:
        known = cups.printer(QUEUE)
    except ipp.IppError:
        return "no CUPS here: the print buttons say no printer is set up (apt-get install cups printer-driver-cups-pdf)"
    if known is None:
        if shutil.which("lpadmin") is None or not PPD.exists():
            return "CUPS has no cups-pdf driver: no printer set up (apt-get install printer-driver-cups-pdf)"
        made = subprocess.run(
            ["lpadmin", "-p", QUEUE, "-v", "cups-pdf:/", "-P", str(PPD), "-E"], capture_output=True, text=True
        )
        if made.returncode != 0:
            return f"could not add the cups-pdf queue {QUEUE}: {made.stderr.strip() or made.returncode}"
    service.add_printer(session, actor, now, QUEUE, NAME, cups=cups)
    return f"printer {QUEUE} (cups-pdf): waybills print as PDF files into cups-pdf's output folder (Debian: ~/PDF)"
