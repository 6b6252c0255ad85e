"""What can be printed from PeakGuard, rendered as PDF for the print queue: the e-waybill of a
packed order (S2.9), a product label (S2.6, billed as a label like a download) and a pallet's
license-plate label (S2.5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from peakguard.audit.service import Actor
from peakguard.errors import InvalidInput
from peakguard.plan.schemas import Plan
from peakguard.printing import service
from peakguard.printing.models import PrintJob
from peakguard.warehouse import carriers, inbound, skus

KINDS = ("waybill", "sku", "pallet")


def print_document(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    kind: str,
    obj_id: int,
    *,
    reprint: bool = False,
) -> tuple[PrintJob, bool]:
    """Queue one object's document; ``(job, created)``. A document already queued or printed
    answers that job without rendering (or billing) it again, unless ``reprint``."""
    if kind not in KINDS:
        raise InvalidInput("document", "must be one of {choices}", choices=", ".join(KINDS))
    key = f"{kind}:{obj_id}"
    earlier = None if reprint else service.existing(session, key)
    if earlier is not None:
        return earlier, False
    data = _render(session, actor, now, plan, kind, obj_id)
    return service.submit(
        session, actor, now, document=key, title=f"{kind} {obj_id}", data=data, reprint=True
    )


def _render(session: Session, actor: Actor, now: datetime, plan: Plan, kind: str, obj_id: int) -> bytes:
    if kind == "waybill":
        data = carriers.waybill(session, actor, plan, obj_id, "pdf")
    elif kind == "sku":
        data = skus.sku_label(session, actor, now, plan, obj_id, fmt="pdf")
    else:
        data = inbound.pallet_label(session, actor, obj_id, "pdf")
    assert isinstance(data, bytes)
    return data
