"""Prepress preflight: read a finished PDF back and judge it against PDF/X-4 (ISO 15930-7) and print-shop rules, or the lighter screen rules.

Transformation: PDF file -> ``PreflightReport`` (one ``Check`` per rule, each with the
evidence it was judged on, and the same findings as ``renderer.diagnostics``
diagnostics). Nothing is changed in the file.

The package has three parts:

* ``reader``: reads the PDF (ISO 32000-1): page boxes, colour spaces, a content-stream
  walker, PDFium's character boxes; with hard limits against hostile files.
* ``rules``: the table of rules, each with its name, what it checks and its norm.
* this module: the entry point ``preflight`` and the report.

The email edition gets the lighter subset: fonts, encryption, structure, page size,
text inside the page and count; image resolution and links are for information only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pikepdf

from renderer.diagnostics import Diagnostic, Report
from renderer.errors import PressError
from renderer.policy import (
    BINDING_PAGE_MULTIPLE,
    DEFAULT_BLEED_MM,
    DEFAULT_INK_LIMIT,
    EDITIONS,
    PAGE_SIZES_MM,
    page_size_mm,
)
from renderer.verify.preflight.reader import WalkBudget, open_guarded, take_inventory
from renderer.verify.preflight.rules import (
    RULES,
    RULES_BY_NAME,
    Check,
    Context,
    Rule,
    Status,
    _check_qpdf,
    run_rules,
)

__all__ = ["RULES", "Check", "PreflightReport", "Rule", "Status", "issue_options", "preflight"]

SEVERITY = {"fail": "error", "warn": "warning"}
_PAGE = re.compile(r"\bpages? (\d+)")


# ------------------------------------------------------------------ report


@dataclass
class PreflightReport:
    """All checks of one file; ``ok`` when none failed (warnings may remain)."""

    pdf: Path
    edition: str
    checks: list[Check] = field(default_factory=list)
    # With measure=True: "plates" (ghostscript.PlateCoverage per page), "areas" (AreaCoverage)
    measurements: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(check.status == "fail" for check in self.checks)

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError when it was not run)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Failed checks as errors and warnings as warnings, code ``preflight.<check>``."""
        found = []
        for check in self.checks:
            if check.status not in SEVERITY:
                continue
            rule = RULES_BY_NAME.get(check.name)
            page = _PAGE.search(check.evidence)
            message = check.evidence.splitlines()[0] if check.evidence else check.name
            found.append(Diagnostic(
                severity=SEVERITY[check.status], code=f"preflight.{check.name}",
                message=message, file=str(self.pdf), page=int(page.group(1)) if page else None,
                hint=rule.hint if rule else None,
                evidence={"norm": rule.norm} if rule else {}))
        return found

    def as_report(self) -> Report:
        counts = Counter(check.status for check in self.checks)
        verdict = "PASS" if self.ok else "FAIL"
        title = (f"preflight {self.pdf} ({self.edition} edition): {verdict}"
                 f" - {counts['fail']} failed, {counts['warn']} warnings,"
                 f" {counts['pass']} passed")
        return Report(title=title, diagnostics=self.diagnostics,
                      figures={"pdf": self.pdf, "edition": self.edition})

    def to_text(self) -> str:
        """The verdict line, each check with its evidence indented, then the diagnostics
        (indented, so every unindented line after the first is a check)."""
        report = self.as_report()
        lines = [report.title]
        for check in self.checks:
            lines.append(f"{check.status.upper():<5} {check.name}")
            lines.extend(f"      {line}" for line in check.evidence.splitlines())
        rendered = Report(title="", diagnostics=report.diagnostics).to_text().splitlines()[1:]
        lines.extend(f"  {line}" for line in rendered)
        return "\n".join(lines)

    def to_json(self) -> str:
        report = self.as_report()
        report.figures["checks"] = [asdict(check) for check in self.checks]
        text = report.to_json()
        # "ok" here means the file passes (warnings allowed), as the exit code says.
        return text.replace(f'"ok": {str(report.ok).lower()},', f'"ok": {str(self.ok).lower()},', 1)


# ------------------------------------------------------------------ entry point


def issue_options(issue, edition: str) -> dict:
    """The preflight arguments an issue's manifest asks for (page size, bleed, ink limit,
    the binding's page multiple): the build and `make-issue check FOLDER` both use these,
    so they run the same checks."""
    return {"edition": edition, "page_size": issue.page_size,
            "bleed_mm": issue.print.bleed_mm, "ink_limit": issue.print.ink_limit,
            "page_multiple": (BINDING_PAGE_MULTIPLE[issue.print.binding]
                              if edition == "print" else None)}



def preflight(
    pdf: Path,
    *,
    edition: str = "print",
    page_size: str | None = None,
    bleed_mm: float = DEFAULT_BLEED_MM,
    ink_limit: int = DEFAULT_INK_LIMIT,
    page_multiple: int | None = None,
    measure: bool = False,
) -> PreflightReport:
    """Read ``pdf`` back and check it for the given edition ("print" or "email").

    With ``measure``, Ghostscript and qpdf's command also read the file (ink per plate,
    rendered total area coverage, a render with warnings as failures, ``qpdf --check``).
    Any PDF can be checked: one without a TrimBox fails page-boxes, an encrypted one
    fails encryption; a damaged, hostile or non-PDF file raises a PressError naming it.
    """
    pdf = Path(pdf)
    _validate_arguments(edition, page_size, bleed_mm, ink_limit, page_multiple)
    _require_pdf_file(pdf)
    report = PreflightReport(pdf=pdf, edition=edition)
    try:
        document = open_guarded(pdf)
    except pikepdf.PasswordError:
        report.checks.append(Check("encryption", "fail", "the file needs a password to open"))
        report.checks.append(_check_qpdf(None, edition))
        return report
    with document:
        inventory = take_inventory(document, WalkBudget(pdf))
        context = Context(pdf=pdf, document=document, inventory=inventory, edition=edition,
                          page_size=page_size, bleed_mm=bleed_mm, ink_limit=ink_limit,
                          page_multiple=page_multiple, measure=measure)
        report.checks.extend(run_rules(context))
        report.measurements = context.measurements
    return report


def _known_size(page_size: str) -> bool:
    try:
        page_size_mm(page_size)
    except ValueError:
        return False
    return True


def _validate_arguments(edition: str, page_size: str | None, bleed_mm: float, ink_limit: int,
                        page_multiple: int | None) -> None:
    if edition not in EDITIONS:
        raise PressError(f"unknown edition '{edition}'.", field="edition",
                         fix="Use 'print' or 'email'.")
    if page_size is not None and not _known_size(page_size):
        raise PressError(f"unknown page size '{page_size}'.", field="page_size",
                         fix=f"Use {', '.join(PAGE_SIZES_MM)} or <width>x<height>mm.")
    # Wider than the manifest allows (policy.MAX_BLEED_MM, INK_LIMIT_RANGE): preflight
    # also judges other tools' files.
    if not 0 <= bleed_mm <= 20:
        raise PressError(f"bleed of {bleed_mm} mm is out of range.", field="bleed_mm",
                         fix="Use a bleed between 0 and 20 mm (3 mm is the norm).")
    if not 100 <= ink_limit <= 400:
        raise PressError(f"ink limit of {ink_limit}% is out of range.", field="ink_limit",
                         fix="Use a total area coverage between 100 and 400 percent.")
    if page_multiple is not None and page_multiple < 1:
        raise PressError(f"page multiple {page_multiple} must be a positive number.",
                         field="page_multiple", fix="Use 4 for saddle stitching, or leave it out.")


def _require_pdf_file(pdf: Path) -> None:
    if not pdf.is_file():
        raise PressError("does not exist or is not a file.", file=pdf,
                         fix="Give the path of a rendered PDF.")
    with pdf.open("rb") as handle:
        start = handle.read(1024)
    # ISO 32000-1 §7.5.2: the header; readers tolerate junk before it, so look
    # in the first kilobyte like they do.
    if b"%PDF-" not in start:
        raise PressError("is not a PDF file (no %PDF- header in its first kilobyte).", file=pdf,
                         fix="Give the path of a rendered PDF.")
