"""The after-action review (S3.7) as Markdown and as PDF. Both render the same
:func:`review_document`, so the two never disagree on content."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from peakguard.export_safety import pdf_text
from peakguard.i18n import gettext as _
from peakguard.incidents import queries
from peakguard.incidents.models import Incident
from peakguard.incidents.schemas import StepOut, TimelineOut
from peakguard.incidents.timeline_text import lines, user_names
from peakguard.plan.schemas import Plan


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    """Label and value pairs, shown as a two-column table."""
    table: list[list[str]] = field(default_factory=list)
    """Header row first, for lists such as steps and measures."""


def review_document(session: Session, incident: Incident, plan: Plan, lang: str) -> tuple[str, list[Section]]:
    zone = ZoneInfo(plan.timezone)

    def when(value: object) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else "-"  # type: ignore[attr-defined]

    kind = plan.kinds[incident.kind].name.get(lang)
    level = plan.levels[incident.level].name.get(lang)
    title = _(lang, "After-action review: incident #{id}", id=incident.id)
    person = queries.assignee(session, incident)
    facts = Section(
        _(lang, "Incident"),
        rows=[
            (_(lang, "Kind"), kind),
            (_(lang, "Area"), incident.area),
            (_(lang, "Count"), str(incident.count)),
            (_(lang, "Level"), level),
            (_(lang, "Status"), _(lang, incident.status)),
            (
                _(lang, "Handler"),
                _(lang, "{role} ({name})", role=_(lang, incident.handler_role), name=person.name if person else "-"),
            ),
            (_(lang, "Report to"), _(lang, incident.report_to_role)),
            (_(lang, "Opened"), when(incident.opened_at)),
            (_(lang, "Deadline"), when(incident.deadline_at)),
            (_(lang, "Deadline breached"), _(lang, "yes") if incident.breached else _(lang, "no")),
            (_(lang, "Resolved"), when(incident.resolved_at)),
            (_(lang, "Result"), incident.result_report or "-"),
        ],
    )
    steps = Section(
        _(lang, "Handling measures"),
        table=[[_(lang, "Step"), _(lang, "State"), _(lang, "Note")]]
        + [
            [f"{s.position}. {s.text_en if lang == 'en' else s.text_zh}", _(lang, s.state), s.note or ""]
            for s in incident.steps
        ],
    )
    review = queries.review_of(session, incident.id)
    ladder = {p.id: p.get(lang) for p in plan.penalty_ladder}
    analysis = Section(
        _(lang, "Review"),
        rows=[
            (_(lang, "Root cause"), review.root_cause if review else "-"),
            (
                _(lang, "Accountable"),
                _(lang, "{kind}: {name}", kind=_(lang, review.accountable_type), name=review.accountable_name)
                if review and review.accountable_type
                else "-",
            ),
            (_(lang, "Penalty"), ladder.get(review.penalty_step or "", "-") if review else "-"),
            (_(lang, "Disclosure"), (review.disclosure_note or "-") if review else "-"),
        ],
    )
    measures = Section(
        _(lang, "Preventive measures"),
        table=[[_(lang, "Measure"), _(lang, "Owner"), _(lang, "Due"), _(lang, "Done")]]
        + [
            [
                m.description,
                m.owner,
                m.due_date.isoformat(),
                when(m.done_at) if m.done_at else _(lang, "open"),
            ]
            for m in incident.measures
        ],
    )
    # The same sentences as the incident page: events, levels and counts in the reader's
    # language, people by name, a run of count updates folded into one row (issue 16).
    entries = [TimelineOut.model_validate(t) for t in incident.timeline]
    said = lines(
        entries,
        plan,
        [StepOut.model_validate(s) for s in incident.steps],
        lang,
        user_names(session, {t.actor for t in entries}),
    )
    timeline = Section(
        _(lang, "Timeline"),
        table=[[_(lang, "Time"), _(lang, "Who"), _(lang, "Event"), _(lang, "Note")]]
        + [[when(t.at), line.actor, line.label, line.text] for t, line in reversed(said)],
    )
    return title, [facts, steps, analysis, measures, timeline]


def markdown(session: Session, incident: Incident, plan: Plan, lang: str = "zh_CN") -> str:
    title, sections = review_document(session, incident, plan, lang)
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.rows:
            out += ["| | |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in section.rows]
        if section.table:
            header, *body = section.table
            out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in body]
        out.append("")
    return "\n".join(out)


def pdf(session: Session, incident: Incident, plan: Plan, lang: str = "zh_CN") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"  # a CID font built into ReportLab: Chinese without shipping a font file
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4)
    big = ParagraphStyle("title", parent=body, fontSize=16, leading=20, spaceAfter=8)

    title, sections = review_document(session, incident, plan, lang)
    story: list[object] = [Paragraph(pdf_text(title), big)]
    width = A4[0] - 30 * mm
    for section in sections:
        story.append(Paragraph(pdf_text(section.title), head))
        data = [list(r) for r in section.rows] or section.table
        if not data:
            continue
        cells = [[Paragraph(pdf_text(c), body) for c in row] for row in data]
        cols = len(data[0])
        widths = [width * 0.3, width * 0.7] if section.rows else [width / cols] * cols
        table = Table(cells, colWidths=widths, repeatRows=0 if section.rows else 1)
        style = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if not section.rows:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style))
        story += [table, Spacer(1, 4 * mm)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
    )
    doc.build(story)
    return buffer.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
