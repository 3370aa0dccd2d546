"""The press, end to end: an issue folder -> checked print and email PDFs in dist/.

load -> (font coverage gate) -> prepare -> compose -> typeset -> verify -> deliver.
Each stage is a module of its own; this one only runs them in order and
decides what is written. A PDF that fails its preflight is never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from renderer.compose import compose
from renderer.deliver import files
from renderer.errors import PressError
from renderer.load import load_issue
from renderer.model import Issue, PreparedIssue
from renderer.prepare import prepare_issue
from renderer.prepare.coverage import check_coverage
from renderer.typeset import Typeset, typeset

EDITIONS = ("print", "email")
SADDLE_STITCH_MULTIPLE = 4


@dataclass
class EditionResult:
    edition: str
    path: Path
    pages: int
    size: int
    report: object  # verify.preflight.PreflightReport


@dataclass
class BuildResult:
    issue: Issue
    editions: list[EditionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def output_path(issue: Issue, out_root: Path, edition: str) -> Path:
    return out_root / issue.key / f"{issue.slug}-{issue.key}-{edition}.pdf"


def build_issue(folder: Path, out_root: Path = Path("dist"), *,
                editions: tuple[str, ...] = EDITIONS,
                step: Callable[[str], None] = lambda message: None) -> BuildResult:
    step("load")
    issue = load_issue(folder)
    check_coverage(issue)
    step("prepare")
    prepared = prepare_issue(issue)
    result = BuildResult(issue=issue, warnings=list(prepared.warnings))
    target_folder = out_root / issue.key
    with files.build_lock(target_folder):
        files.remove_stale_partials(target_folder)
        for edition in editions:
            step(f"typeset {edition}")
            typeset_edition = _typeset(prepared, edition)
            step(f"verify {edition}")
            result.editions.append(_verify_and_write(issue, typeset_edition, out_root))
    return result


def _typeset(prepared: PreparedIssue, edition: str) -> Typeset:
    issue = prepared.issue
    done = typeset(compose(prepared, edition), issue)
    if edition == "print" and issue.print.binding == "saddle-stitch":
        missing = -done.pages % SADDLE_STITCH_MULTIPLE
        if missing:
            # Padding pages are typeset (they say they are blank), never left empty silently.
            done = typeset(compose(prepared, edition, padding_pages=missing), issue)
    return done


def _verify_and_write(issue: Issue, done: Typeset, out_root: Path) -> EditionResult:
    from renderer.verify.preflight import preflight

    target = output_path(issue, out_root, done.edition)
    if done.edition == "email" and len(done.pdf) > issue.email.size_budget:
        raise PressError(
            f"the email edition would be {len(done.pdf) / 1e6:.2f} MB, over its budget of "
            f"{issue.email.size_budget / 1e6:.2f} MB.", file=issue.manifest,
            field="email.size_budget",
            fix="Use fewer or smaller figures, or raise the budget.")
    with files.staged(target, done.pdf) as staged_pdf:
        report = preflight(
            staged_pdf, edition=done.edition, page_size=issue.page_size,
            bleed_mm=issue.print.bleed_mm, ink_limit=issue.print.ink_limit,
            page_multiple=(SADDLE_STITCH_MULTIPLE if done.edition == "print"
                           and issue.print.binding == "saddle-stitch" else None))
        if not report.ok:
            raise PressError(
                f"the {done.edition} edition fails its preflight, so it was not written:\n"
                + report.to_text(), file=target,
                fix="This is a problem in the templates, styles or figures; see the "
                    "failed checks above.")
    return EditionResult(edition=done.edition, path=target, pages=done.pages,
                         size=len(done.pdf), report=report)
