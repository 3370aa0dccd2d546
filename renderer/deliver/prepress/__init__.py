"""The print shop's hand-off, beside the print PDF: imposition and reader spreads
(``impose``), the soft proof (``proof``), the job ticket and the preflight report
(``ticket``). Every PDF written here is checked as it is written: the press's preflight
with Ghostscript measuring and rendering it (warnings are failures) and ``qpdf --check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from renderer.errors import PressError
from renderer.policy import DEFAULT_PRESS_SHEET


@dataclass
class Output:
    path: Path
    report: object | None = None  # verify.preflight.PreflightReport of a PDF


def default_sheet(page_size: str) -> str:
    return DEFAULT_PRESS_SHEET[page_size]


def require_print_pdf(pdf: Path, folder: Path) -> Path:
    if not pdf.is_file():
        raise PressError("the print edition has not been built yet.", file=pdf,
                         fix=f"Run `make-issue build {folder}` first (or pass --dist).")
    return pdf


def _checked(path: Path, *, bleed_mm: float, ink_limit: int) -> Output:
    from renderer.verify.preflight import preflight

    report = preflight(path, edition="print", bleed_mm=bleed_mm, ink_limit=ink_limit,
                       measure=True)
    if not report.ok:
        raise PressError(f"{path.name} fails its preflight:\n" + report.to_text(), file=path,
                         fix="This is a bug in the imposition; report it with the file.")
    return Output(path, report)


def impose_issue(issue, pdf: Path, *, sheet: str | None = None,
                 creep_mm: float = 0.0) -> list[Output]:
    """The printer spreads on a press sheet and the reader-spreads proof, both checked."""
    from renderer.deliver.prepress.impose import impose, write_reader_spreads

    sheet = sheet or default_sheet(issue.page_size)
    if issue.print.binding != "saddle-stitch":
        raise PressError(f"the binding is '{issue.print.binding}'; imposition is written "
                         "for saddle stitch only.", file=issue.manifest, field="print.binding",
                         fix="Set print: {binding: saddle-stitch}, build, then impose.")
    target = pdf.with_name(f"{pdf.stem}-imposed-{sheet}.pdf")
    imposed = impose(pdf, target, sheet=sheet, creep_mm=creep_mm,
                     bleed_mm=issue.print.bleed_mm)
    spreads = write_reader_spreads(pdf, pdf.with_name(f"{pdf.stem}-reader-spreads.pdf"))
    outputs = [_checked(imposed.path, bleed_mm=imposed.bleed_mm, ink_limit=issue.print.ink_limit),
               _checked(spreads.path, bleed_mm=0.0, ink_limit=issue.print.ink_limit)]
    return outputs


def proof_issue(pdf: Path, *, ppi: int | None = None) -> list[Path]:
    from renderer.deliver.prepress.proof import PROOF_PPI, soft_proof

    return soft_proof(pdf, pdf.parent / "proof", ppi=ppi or PROOF_PPI)


def ticket_issue(issue, pdf: Path) -> list[Output]:
    """Job ticket (JSON and job sheet PDF) and the preflight report PDF, with Ghostscript's
    measurements, beside the print PDF."""
    from renderer.deliver import files
    from renderer.deliver.prepress.impose import saddle_stitch_sides
    from renderer.deliver.prepress.proof import proof_images
    from renderer.deliver.prepress.ticket import (
        THUMBNAIL_PPI,
        job_ticket,
        report_pdf,
        write_ticket,
    )
    from renderer.verify.preflight import issue_options, preflight

    report = preflight(pdf, **issue_options(issue, "print"), measure=True)
    proofs = sorted((pdf.parent / "proof").glob(f"{pdf.stem}-proof-*.png"))
    imposition = None
    imposed_path = next(iter(sorted(pdf.parent.glob(f"{pdf.stem}-imposed-*.pdf"))), None)
    if imposed_path is not None and report.ok:
        pages = len(report.measurements.get("plates", []))
        imposition = {"file": imposed_path.name, "sheet": imposed_path.stem.rsplit("-", 1)[-1],
                      "order": [f"{side.left}-{side.right}"
                                for side in saddle_stitch_sides(pages)]}
    ticket = job_ticket(issue, pdf, imposition=imposition, proofs=proofs)
    json_path, sheet_path = write_ticket(ticket, pdf.parent, pdf.stem)
    report_path = pdf.with_name(f"{pdf.stem}-preflight-report.pdf")
    files.write_atomically(report_path, report_pdf(report, ticket,
                                                   proof_images(pdf, ppi=THUMBNAIL_PPI)))
    return [Output(json_path), Output(sheet_path), Output(report_path, report)]
