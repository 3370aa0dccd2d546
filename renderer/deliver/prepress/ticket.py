"""The job ticket (JSON and a one-page PDF job sheet) and the preflight report PDF.

Both PDFs are made with the press's own stack: a Jinja2 template in styles/prepress/
and WeasyPrint 70 (reached through renderer.typeset's seam, with its sandbox fetcher).
They are documents for people, not print files: plain PDFs in sRGB.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import jinja2

from renderer.assets import STYLES
from renderer.policy import POINTS_PER_MM, SADDLE_STITCH_MULTIPLE

TEMPLATES = STYLES / "prepress"
THUMBNAIL_PPI = 18


def job_ticket(issue, print_pdf: Path, *, imposition: dict | None = None, proofs=()) -> dict:
    """What the print shop needs to take the job, as plain data (the JSON)."""
    import pikepdf

    data = Path(print_pdf).read_bytes()
    with pikepdf.open(print_pdf) as document:
        pages = len(document.pages)
        first = document.pages[0]
        trim = [float(v) for v in first.TrimBox]
        bleed_box = [float(v) for v in first.get("/BleedBox", first.TrimBox)]
        intent = next((str(i.get("/OutputConditionIdentifier", ""))
                       for i in document.Root.get("/OutputIntents", [])), "")
        version = document.pdf_version
    settings = issue.print
    return {
        "job": f"{issue.slug}-{issue.key}",
        "title": f"{issue.name.en} / {issue.name.zh}",
        "issue": {"volume": issue.volume, "number": issue.number, "month": issue.key},
        "publisher": issue.publisher,
        "print": {"binding": settings.binding, "quantity": settings.quantity,
                  "stock": settings.stock, "finishing": settings.finishing,
                  "delivery": settings.delivery, "contact": settings.contact,
                  "bleed_mm": settings.bleed_mm, "ink_limit": settings.ink_limit},
        "trim_mm": [round((trim[2] - trim[0]) / POINTS_PER_MM, 1),
                    round((trim[3] - trim[1]) / POINTS_PER_MM, 1)],
        "page_size": issue.page_size,
        "bleed_mm": round((trim[0] - bleed_box[0]) / POINTS_PER_MM, 2),
        "pages": pages,
        "sheets": pages // SADDLE_STITCH_MULTIPLE if settings.binding == "saddle-stitch" else None,
        "colours": "4/4 (CMYK process both sides, no spot colours)",
        "pdf_standard": "PDF/X-4", "pdf_version": version,
        "output_intent": intent,
        "file": {"name": Path(print_pdf).name, "bytes": len(data),
                 "sha256": hashlib.sha256(data).hexdigest()},
        "imposition": imposition,  # file, sheet, order of the printed sides
        "soft_proof": [Path(p).name for p in proofs],
        "made": (issue.published or dt.datetime.now(dt.UTC)).isoformat(),
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def _render(template: str, **context) -> bytes:
    from renderer.typeset import fetcher
    from renderer.typeset.weasyprint70 import fonts, load

    # Stylesheets inline (as compose does), URLs relative to styles/: the fonts' are.
    css = "\n".join((STYLES / name).read_text(encoding="utf-8")
                    for name in ("fonts.css", "prepress/prepress.css"))
    html = _environment().get_template(template).render(css=css, **context)
    weasyprint = load()
    with fonts.font_configuration() as font_config:
        return weasyprint.HTML(string=html, base_url=str(STYLES) + "/",
                               url_fetcher=fetcher.sandbox_fetcher_class()()
                               ).write_pdf(font_config=font_config)


def job_sheet_pdf(ticket: dict) -> bytes:
    return _render("job-sheet.html.j2", ticket=ticket)


def _thumbnail(image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def report_pdf(report, ticket: dict, thumbnails: list) -> bytes:
    """The preflight report: summary, each check with its evidence, per-plate coverage
    per page, a thumbnail of every page (soft-proofed)."""
    plates = {p.page: p for p in report.measurements.get("plates", [])}
    areas = {a.page: a for a in report.measurements.get("areas", [])}
    pages = [{"number": n, "thumbnail": _thumbnail(image), "plates": plates.get(n),
              "area": areas.get(n)} for n, image in enumerate(thumbnails, start=1)]
    counts = {status: sum(1 for c in report.checks if c.status == status)
              for status in ("fail", "warn", "pass", "info")}
    return _render("report.html.j2", report=report, ticket=ticket, pages=pages,
                   counts=counts, verdict="PASS" if report.ok else "FAIL")


def write_ticket(ticket: dict, folder: Path, stem: str) -> tuple[Path, Path]:
    from renderer.deliver import files

    json_path = folder / f"{stem}-job.json"
    pdf_path = folder / f"{stem}-job.pdf"
    files.write_atomically(json_path, (json.dumps(ticket, ensure_ascii=False, indent=2)
                                       + "\n").encode())
    files.write_atomically(pdf_path, job_sheet_pdf(ticket))
    return json_path, pdf_path
