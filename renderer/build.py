"""The press, end to end: an issue folder -> checked print and email PDFs in OUT/<yyyy-mm>/.

load -> (font coverage gate) -> prepare -> compose -> typeset -> verify -> deliver.
Each stage is a module of its own; this one runs them in order and decides
what is written:
- the shared work (load, prepare, compose) is done once for both editions;
- the two typesets run in parallel processes when the machine has the cores, and
  lint's findings and the web edition are made here meanwhile;
- an edition whose inputs have not changed is not built again (renderer.deliver.cache);
- a PDF that fails its preflight, or the email budget, is never written.
"""

from __future__ import annotations

import contextlib
import gc
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from renderer import interrupt
from renderer.deliver import cache, files
from renderer.diagnostics import Diagnostic
from renderer.errors import PressError
from renderer.policy import EDITIONS, OUTPUTS


@dataclass
class EditionResult:
    edition: str
    path: Path
    pages: int
    size: int
    report: object | None  # verify.preflight.PreflightReport; None when up to date
    up_to_date: bool = False
    warnings: tuple[str, ...] = ()  # what WeasyPrint warned about while typesetting it


@dataclass
class BuildResult:
    folder: Path
    editions: list[EditionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)  # lint's, for the editor

    @property
    def open_findings(self) -> list[Diagnostic]:
        return [finding for finding in self.findings if finding.needs_human]


def output_path(issue, out_root: Path, edition: str) -> Path:
    return out_root / issue.key / f"{issue.slug}-{issue.key}-{edition}.pdf"


# What a build says while it typesets: pages(edition, stage, pages so far, pages expected),
# stage "layout" page by page, then "writing" and "checking"; pages expected is the last
# build's count (None the first time).
PageProgress = Callable[[str, str, int, int | None], None]


def build_issue(folder: Path, out_root: Path = Path("dist"), *,
                editions: tuple[str, ...] = OUTPUTS, force: bool = False,
                parallel: bool = True, strict: bool = False,
                step: Callable[[str], None] = lambda message: None,
                pages: PageProgress = lambda edition, stage, done, expected: None,
                ) -> BuildResult:
    """Build the editions that are not up to date. With ``strict``, content findings that
    need a human, and WeasyPrint's warnings, fail the build before anything is written."""
    result = BuildResult(folder=folder)
    # The typesetting workers start first and import WeasyPrint while this process finds
    # what is out of date, loads, prepares and composes: the costs overlap instead of
    # adding up. Should nothing need typesetting, they are stopped unused.
    typeset_editions = [edition for edition in editions if edition != "web"]
    with _Typesetters(len(typeset_editions) if parallel else 0) as typesetters:
        fingerprints = cache.fingerprints(folder, editions, out_root=out_root)
        todo = []
        for edition in editions:
            record = None if force else cache.up_to_date(out_root, folder, edition,
                                                          fingerprints[edition])
            if record and edition == "web" and _web_missing(Path(record.output)):
                record = None
            if record:
                result.editions.append(EditionResult(
                    edition=edition, path=Path(record.output), pages=record.pages,
                    size=record.size, report=None, up_to_date=True,
                    warnings=tuple(record.warnings)))
                result.warnings.extend(w for w in record.warnings if w not in result.warnings)
                result.findings = [Diagnostic(**finding) for finding in record.findings]
            else:
                todo.append(edition)
        if not todo:
            _refuse_if_strict(result, strict)
            return result

        web_todo, todo = "web" in todo, [edition for edition in todo if edition != "web"]
        from renderer.compose import compose
        from renderer.load import load_issue
        from renderer.prepare import prepare_issue
        from renderer.prepare.coverage import check_coverage
        from renderer.typeset import library_warnings

        step("load")
        issue = load_issue(folder)
        supplement = check_coverage(issue)
        step("prepare")
        prepared = prepare_issue(issue)
        if supplement:  # characters beyond the bundled fonts, subset once and cached
            from renderer.prepare.fonts import supplement_css

            prepared = replace(prepared, font_css=supplement_css(
                supplement, out_root / cache.CACHE_FOLDER / "fonts"))
        result.warnings.extend(prepared.warnings)
        result.warnings.extend(library_warnings())
        target_folder = out_root / issue.key
        with files.build_lock(target_folder):
            files.remove_stale_partials(target_folder)
            files.remove_stale_partials(out_root / cache.CACHE_FOLDER)
            if todo:
                step("typeset and verify " + " and ".join(todo))
            try:
                typesetters.submit(
                    _make_edition, [(prepared, compose(prepared, edition), out_root)
                                    for edition in todo])
                # While the workers typeset: lint's findings and the web edition.
                result.findings = _content_findings(issue)
                web_staged = _stage_web(prepared, out_root, step) if web_todo else None
                expected = {edition: cache.last_pages(out_root, folder, edition)
                                for edition in todo}
                done = typesetters.collect(
                    lambda edition, stage, count: pages(edition, stage, count,
                                                        expected[edition]))
                for edition_result, _, _ in done:
                    result.warnings.extend(w for w in edition_result.warnings
                                           if w not in result.warnings)
                _refuse_if_strict(result, strict)
                interrupt.checkpoint()  # a Ctrl-C Python swallowed still stops us here
            except BaseException:
                # One edition failed (or Ctrl-C, or --strict): none is written. The
                # workers stop first, then their staged files go, while this build
                # holds the lock.
                typesetters.stop()
                files.remove_stale_partials(target_folder)
                raise
            for edition_result, pdf in _publish(done):
                cache.remember(out_root, folder, edition_result.edition,
                               fingerprints[edition_result.edition], edition_result.path, pdf,
                               edition_result.pages,
                               findings=[f.to_dict() for f in result.findings],
                               warnings=list(edition_result.warnings))
                result.editions.append(edition_result)
            if web_staged:
                result.editions.append(_publish_web(*web_staged, out_root, folder,
                                                    fingerprints["web"]))
    result.editions.sort(key=lambda r: editions.index(r.edition))
    return result


def _content_findings(issue) -> list[Diagnostic]:
    """What lint finds in the issue (the build shows the count and the first few): the
    issue as loaded, whose characters the coverage gate has already found in the fonts."""
    from renderer.editorial.lint import lint_issue

    return lint_issue(issue, coverage_passed=True).diagnostics


def _refuse_if_strict(result: BuildResult, strict: bool) -> None:
    if not strict:
        return
    problems = [f.to_text() for f in result.open_findings] + [
        f"warning: {w}" for e in result.editions for w in e.warnings] + [
        f"warning: {w}" for w in result.warnings]
    if problems:
        raise PressError(
            f"--strict: {len(problems)} finding(s) need a human, so nothing was written:\n  "
            + "\n  ".join(dict.fromkeys(problems)), file=result.folder, exit_code=1,
            fix="Mend them, or mark content findings as reviewed (see `make-issue lint`).")


def _stage_web(prepared, out_root: Path, step) -> tuple[Path, Path, int, int]:
    """The web edition (renderer.deliver.web), staged beside its target: renamed into
    place after the PDFs, and removed with them should a PDF fail."""
    from renderer.deliver import web

    step("web edition")
    issue = prepared.issue
    edition = web.render(prepared, {e: output_path(issue, out_root, e).name for e in EDITIONS})
    target = web.folder_for(out_root / issue.key)
    return files.stage_folder(target, edition.contents), target, edition.size, len(edition.contents)


def _publish_web(staged: Path, target: Path, size: int, count: int, out_root: Path,
                 folder: Path, fingerprint: str) -> EditionResult:
    files.replace_folder(staged, target)
    index = target / "index.html"
    cache.remember(out_root, folder, "web", fingerprint, index, index.read_bytes(), count)
    return EditionResult(edition="web", path=index, pages=count, size=size, report=None)


def _web_missing(index: Path) -> bool:
    return not index.is_file() or bool(files.missing_files(index.parent))


def _publish(done: list[tuple[EditionResult, bytes, Path]]) -> list[tuple[EditionResult, bytes]]:
    """Rename every checked, staged edition over its target: all editions or none.

    Each staged file is complete and on disk (fsync'ed) beside its target, so only a
    rename is left; should one rename fail, the message says which editions were written.
    """
    written: list[tuple[EditionResult, bytes]] = []
    try:
        for edition_result, pdf, staged_path in done:
            try:
                os.replace(staged_path, edition_result.path)
            except OSError as exc:
                new = ", ".join(f"the {r.edition} edition ({r.path})" for r, _ in written)
                raise PressError(
                    f"the {edition_result.edition} edition cannot be written ({exc.strerror}); "
                    + (f"{new} was written and is new, the others are not."
                       if written else "no edition was written."),
                    file=edition_result.path,
                    fix="Check free space and permissions of the output folder.") from None
            written.append((edition_result, pdf))
    finally:
        for _, _, staged_path in done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged_path)
    if written:
        files.sync_folder(written[0][0].path.parent)
    return written


class _Typesetters:
    """Typesetting processes: one warm process per job, at the cost of one warm-up.

    A single process is forked at once and imports WeasyPrint (fonts, stylesheets of the
    user agent) while this one finds what is out of date, loads, prepares and composes;
    when the jobs arrive it forks a copy of itself for each job but the last, which it
    runs itself. Forked copies start in a millisecond, already warm, so the import is
    paid once, not once per edition. Given no jobs (everything was up to date), it is
    killed unused. With no workers (a single core, watch mode, one of many issues being
    built) the jobs run in this process.
    """

    def __init__(self, workers: int):
        self.workers = workers if (os.cpu_count() or 1) > 1 and workers > 1 else 0
        self.warm = self.sender = None

    def __enter__(self) -> _Typesetters:
        if self.workers:
            from multiprocessing import get_context

            context = get_context("fork")
            # The workers' temporary files (WeasyPrint's @font-face copies) go into a
            # folder of this build's, removed when the workers end, even when killed.
            _remove_abandoned_scratch()
            self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
            self.jobs, jobs_end = context.Pipe()
            pipes = [context.Pipe(duplex=False) for _ in range(self.workers)]
            self.results = [reader for reader, _ in pipes]
            self.warm = context.Process(
                target=_warm_typesetter,
                args=(jobs_end, [writer for _, writer in pipes], self.jobs, self.scratch))
            # The worker is born with Ctrl-C blocked and then ignores it: a Ctrl-C goes to
            # the whole process group, and it is this process that answers it (it stops the
            # workers). Blocked, not ignored, here: a Ctrl-C during the fork waits for us.
            try:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    self.warm.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                jobs_end.close()
                for _, writer in pipes:
                    writer.close()
            except BaseException:  # a Ctrl-C just after the start: no `with` body, no __exit__
                if self.warm.pid is not None:
                    self.stop()
                raise
        return self

    def submit(self, job, argument_tuples: list[tuple]) -> None:
        """Start the jobs (in the workers; without workers, `collect` runs them here).

        The warm process reads them once it has warmed up, and a pipe holds 64 KB: a
        thread writes them, so that this process lints and stages the web edition
        meanwhile instead of waiting on a full pipe. They are pickled here, where a
        pickling error is raised."""
        self.pending = (job, argument_tuples)
        if self.warm is not None and argument_tuples:
            from multiprocessing.reduction import ForkingPickler

            self.sender = threading.Thread(
                target=self._send, args=(ForkingPickler.dumps(self.pending),),
                name="press-jobs", daemon=True)
            self.sender.start()

    def _send(self, payload) -> None:
        with contextlib.suppress(OSError):  # the warm process is gone: collect says so
            self.jobs.send_bytes(payload)

    def collect(self, progress: Callable[..., None] = lambda *report: None) -> list:
        """The jobs' results, in order; the first error to arrive is raised here. Until
        then, what the jobs report as they go is handed to ``progress``."""
        from multiprocessing.connection import wait

        job, argument_tuples = self.pending
        if self.sender is None:  # no workers, or no jobs to send them
            return [job(*arguments, progress=progress) for arguments in argument_tuples]
        waiting = dict(zip(self.results, range(len(argument_tuples))))
        outcomes = {}
        while waiting:  # whichever speaks first: a worker blocked on a full pipe is read
            for reader in wait(list(waiting)):
                try:
                    kind, value = reader.recv()
                except EOFError:
                    raise RuntimeError("a typesetting process ended without an answer") from None
                if kind == "progress":
                    progress(*value)
                elif kind == "error":
                    raise value
                else:
                    outcomes[waiting.pop(reader)] = value
        return [outcomes[index] for index in range(len(argument_tuples))]

    def stop(self) -> None:
        """End the workers now, whatever they are doing."""
        if self.warm is None:
            return
        self.warm.kill()  # its forks die with it (PR_SET_PDEATHSIG)
        self.warm.join()
        self._close_jobs()  # the kill broke the pipe of a sender still writing
        self.warm = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _close_jobs(self) -> None:
        if self.sender is not None:
            self.sender.join()
        self.jobs.close()

    def __exit__(self, error_type, *exc) -> None:
        if self.warm is None:
            return
        if error_type is not None or self.sender is None:  # failed, or nothing to typeset
            self.stop()
            return
        self._close_jobs()
        self.warm.join()
        shutil.rmtree(self.scratch, ignore_errors=True)


SCRATCH_PREFIX = "press-typesetting-"  # then the build's process id


def _remove_abandoned_scratch() -> None:
    """The typesetting folders of builds that were killed (SIGKILL leaves no chance to
    clean up): those whose build process is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # alive, someone else's: not ours to judge


def _warm_typesetter(jobs, result_pipes, builds_end, scratch: str) -> None:
    """The warm process: import WeasyPrint, wait for the jobs, fork for all but one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build answers Ctrl-C (and kills us)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The fork copied the build's end of the jobs pipe: without closing it, a build that
    # ends before it could stop us (or before PR_SET_PDEATHSIG is set) would leave us
    # waiting for jobs forever; closed, its end leaves with it and `recv` says EOF.
    builds_end.close()
    tempfile.tempdir = scratch
    from renderer.typeset import LAYOUT_GC_THRESHOLDS

    warm_up_job()
    # A typesetter's forks end with their job: the cycles it leaves need not be collected
    # (the layout's thresholds for the preflight too, which would otherwise pay the full
    # collection the layout put off).
    gc.set_threshold(*LAYOUT_GC_THRESHOLDS)
    _fork_and_answer(jobs, result_pipes)  # its shared font files go at its end (release)


def _fork_and_answer(jobs, result_pipes) -> None:
    try:
        job, argument_tuples = jobs.recv()
    except EOFError:
        return  # the build ended before typesetting (an error, or nothing to do)
    children = []
    last = len(argument_tuples) - 1
    for index in range(last):
        pid = os.fork()
        if pid:
            children.append(pid)
            # The fork's answer pipe is now the fork's alone: should it die without
            # answering, the build reads end-of-file instead of waiting for ever.
            result_pipes[index].close()
            continue
        try:  # the fork: one job, then out, whatever happens
            _answer(result_pipes[index], job, _only(argument_tuples, index), in_fork=True)
        finally:
            os._exit(0)
    _answer(result_pipes[last], job, _only(argument_tuples, last))
    for pid in children:
        os.waitpid(pid, 0)


def _only(argument_tuples: list[tuple], index: int) -> tuple:
    """This process's job. The other jobs' arguments are let go of: each edition's
    composed HTML is 15 MB at 2,000 articles, and a fork starts with every edition's."""
    arguments = argument_tuples[index]
    argument_tuples.clear()
    return arguments


def warm_up_job() -> None:
    """Import what an edition's job runs (WeasyPrint with the press's extensions, then the
    finishing and the preflight's PDF libraries) before the job arrives: the warm process
    does it while the build loads and composes, and its forks inherit it."""
    import pikepdf  # noqa: F401 - the finishing's (imported late by renderer.typeset)
    import pypdfium2.raw  # noqa: F401 - the preflight's text boxes (likewise)

    import renderer.verify.preflight  # noqa: F401
    from renderer.typeset import warm_up

    warm_up()


def _answer(pipe, job, arguments, *, in_fork: bool = False) -> None:
    """Run the job and send ("answer", its value), or ("error", what it raised); before
    that, ("progress", report) for each report the job makes as it goes."""
    try:
        if in_fork:
            warm_up_job()  # already done before the fork: now only sets it to die with us
        value = job(*arguments, progress=lambda *report: pipe.send(("progress", report)))
        pipe.send(("answer", value))
    except BaseException as error:  # the build shows it; the process must not die silently
        try:
            pipe.send(("error", error))
        except Exception:  # an exception that cannot be pickled: send its text
            import traceback
            pipe.send(("error", RuntimeError("".join(traceback.format_exception(error)))))


def _make_edition(prepared, composed, out_root: Path, *,
                  progress: Callable[[str, str, int], None]) -> tuple[EditionResult, bytes, Path]:
    """Typeset one edition, stage it beside its target and check it: the whole job of one
    worker. The build renames the staged file into place once every edition has passed.
    (A bound print edition's padding pages, which say they are blank, come from the
    composed HTML: see compose.Composed.page_multiple.)"""
    from renderer.typeset import typeset

    edition = composed.edition
    done = typeset(composed, prepared.issue,
                   progress=lambda stage, count: progress(edition, stage, count))
    progress(edition, "checking", done.pages)
    result, staged_path = _verify_and_stage(prepared.issue, done, out_root)
    return result, done.pdf, staged_path


def _verify_and_stage(issue, done, out_root: Path) -> tuple[EditionResult, Path]:
    """Check the edition and leave it, complete and fsync'ed, under a hidden '.partial'
    name beside its target (a build killed now leaves only that, which the next removes)."""
    from renderer.load.source import human_size
    from renderer.verify.preflight import issue_options, preflight

    target = output_path(issue, out_root, done.edition)
    budget = issue.email.size_budget
    if done.edition == "email" and len(done.pdf) > budget:
        raise PressError(
            f"the email edition would be {human_size(len(done.pdf), other=budget)}, over its "
            f"budget of {human_size(budget, other=len(done.pdf))}.", file=issue.manifest,
            field="email.size_budget",
            fix="Use fewer or smaller figures, or raise the budget.")
    staged_path = target.with_name(f".{target.name}.{secrets.token_hex(4)}.checked"
                                   f"{files.PARTIAL_SUFFIX}")
    with files.staged(staged_path, done.pdf) as staged_pdf:
        report = preflight(staged_pdf, **issue_options(issue, done.edition))
        if not report.ok:
            raise PressError(
                f"the {done.edition} edition fails its preflight, so it was not written:\n"
                + report.to_text(), file=target,
                fix="This is a problem in the templates, styles or figures; see the "
                    "failed checks above.")
    return EditionResult(edition=done.edition, path=target, pages=done.pages,
                         size=len(done.pdf), report=report,
                         warnings=done.warnings), staged_path


def build_many(folders: list[Path], out_root: Path, *, editions: tuple[str, ...] = OUTPUTS,
               force: bool = False, strict: bool = False,
               done: Callable[[Path, BuildResult | PressError], None]) -> None:
    """Many issues across the cores, one issue per worker process (each typesets its
    editions one after the other, so the workers do not compete for cores). ``folders``
    are distinct issue folders, as ``distinct_issue_folders`` gives them."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    workers = max(1, min(len(folders), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(_build_one, folder, out_root, editions, force, strict): folder
                   for folder in folders}
        for future in as_completed(futures):
            done(futures[future], future.result())


def distinct_issue_folders(folders: list[Path], editions: tuple[str, ...]) -> list[Path]:
    """The folders, each once; a PressError, before anything is built, when two of them
    would write the same output (two issues of one newsletter and month, or two
    newsletters' web editions of one month, OUT/<yyyy-mm>/web/): the second over the first.
    (A folder that does not load is left to its own build, which reports it.)"""
    from renderer.load import load_issue

    unique: dict[Path, Path] = {}
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    written_by: dict[Path, Path] = {}  # an output, relative to OUT -> the folder writing it
    for folder in unique.values():
        try:
            issue = load_issue(folder)
        except PressError:
            continue
        outputs = [output_path(issue, Path(), edition) for edition in EDITIONS
                   if edition in editions]
        outputs += [Path(issue.key, "web")] if "web" in editions else []
        for output in outputs:
            first = written_by.setdefault(output, folder)
            if first != folder:
                raise PressError(
                    f"{first} and {folder} are both for {issue.key} and would both write "
                    f"{output} in the output folder, the second over the first.",
                    file=issue.manifest, field="month",
                    fix="Give each issue its own month, or build them one at a time into "
                        "different --out folders.")
    return list(unique.values())


def _build_one(folder: Path, out_root: Path, editions, force, strict) -> BuildResult | PressError:
    try:
        return build_issue(folder, out_root, editions=editions, force=force, strict=strict,
                           parallel=False)
    except PressError as error:
        return error
