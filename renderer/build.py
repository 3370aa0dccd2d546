"""The press, end to end: an issue folder -> checked print and email PDFs in OUT/<yyyy-mm>/.

load -> (font coverage gate) -> prepare -> compose -> typeset -> verify -> deliver.
Each stage is a module of its own; this one runs them in order and decides
what is written:
- the shared work (load, prepare, compose) is done once for both editions;
- the two typesets run in parallel processes when the machine has the cores;
- an edition whose inputs have not changed is not built again (renderer.cache);
- a PDF that fails its preflight, or the email budget, is never written.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from renderer import cache
from renderer.deliver import files
from renderer.errors import PressError

EDITIONS = ("print", "email")
SADDLE_STITCH_MULTIPLE = 4


@dataclass
class EditionResult:
    edition: str
    path: Path
    pages: int
    size: int
    report: object | None  # verify.preflight.PreflightReport; None when up to date
    up_to_date: bool = False


@dataclass
class BuildResult:
    folder: Path
    editions: list[EditionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def output_path(issue, out_root: Path, edition: str) -> Path:
    return out_root / issue.key / f"{issue.slug}-{issue.key}-{edition}.pdf"


def build_issue(folder: Path, out_root: Path = Path("dist"), *,
                editions: tuple[str, ...] = EDITIONS, force: bool = False,
                parallel: bool = True,
                step: Callable[[str], None] = lambda message: None) -> BuildResult:
    result = BuildResult(folder=folder)
    fingerprints = {edition: cache.fingerprint(folder, edition) for edition in editions}
    todo = []
    for edition in editions:
        record = None if force else cache.up_to_date(out_root, folder, edition,
                                                      fingerprints[edition])
        if record:
            result.editions.append(EditionResult(
                edition=edition, path=Path(record.output), pages=record.pages,
                size=record.size, report=None, up_to_date=True))
        else:
            todo.append(edition)
    if not todo:
        return result

    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue
    from renderer.prepare.coverage import check_coverage

    step("load")
    issue = load_issue(folder)
    check_coverage(issue)
    step("prepare")
    prepared = prepare_issue(issue)
    result.warnings.extend(prepared.warnings)
    composed = {edition: compose(prepared, edition) for edition in todo}
    target_folder = out_root / issue.key
    with files.build_lock(target_folder):
        files.remove_stale_partials(target_folder)
        step("typeset " + " and ".join(todo))
        for done in _typeset_all(prepared, composed, parallel):
            step(f"verify {done.edition}")
            edition_result = _verify_and_write(issue, done, out_root)
            cache.remember(out_root, folder, done.edition, fingerprints[done.edition],
                           edition_result.path, done.pdf, done.pages)
            result.editions.append(edition_result)
    result.editions.sort(key=lambda r: editions.index(r.edition))
    return result


def _typeset_all(prepared, composed: dict, parallel: bool) -> list:
    """Both editions at once in worker processes when there are cores for it."""
    jobs = [(prepared, edition, html) for edition, html in composed.items()]
    if not parallel or len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        return [_typeset_edition(*job) for job in jobs]
    # fork: the workers inherit the prepared issue and the imported modules.
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=get_context("fork")) as pool:
        return list(pool.map(_typeset_edition, *zip(*jobs)))


def _typeset_edition(prepared, edition: str, composed):
    from renderer.compose import compose
    from renderer.typeset import typeset

    issue = prepared.issue
    done = typeset(composed, issue)
    if edition == "print" and issue.print.binding == "saddle-stitch":
        missing = -done.pages % SADDLE_STITCH_MULTIPLE
        if missing:
            # Padding pages are typeset (they say they are blank), never left empty silently.
            done = typeset(compose(prepared, edition, padding_pages=missing), issue)
    return done


def _verify_and_write(issue, done, out_root: Path) -> EditionResult:
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


def build_many(folders: list[Path], out_root: Path, *, editions: tuple[str, ...] = EDITIONS,
               force: bool = False, done: Callable[[Path, BuildResult | PressError], None]
               ) -> None:
    """Many issues across the cores, one issue per worker process (each typesets its
    editions one after the other, so the workers do not compete for cores)."""
    from concurrent.futures import as_completed

    workers = max(1, min(len(folders), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(_build_one, folder, out_root, editions, force): folder
                   for folder in folders}
        for future in as_completed(futures):
            done(futures[future], future.result())


def _build_one(folder: Path, out_root: Path, editions, force) -> BuildResult | PressError:
    try:
        return build_issue(folder, out_root, editions=editions, force=force, parallel=False)
    except PressError as error:
        return error
