from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: a quick budget by default (here and in CI: the suite must stay under 90 s
# on two cores), fuller ones on request (`./dev test --hypothesis-profile deep`).
settings.register_profile("quick", max_examples=60)
settings.register_profile("thorough", max_examples=200)
settings.register_profile("deep", max_examples=1500)
settings.load_profile("quick")


def pytest_sessionstart(session):
    """Most tests build in this process, and each build forks its typesetting process from
    it: imported here once, WeasyPrint and the rest a build imports are warm in every
    fork, instead of imported again by each build. (Not in xdist's controller, which
    runs no test.)"""
    if getattr(session.config.option, "numprocesses", None) and not hasattr(
            session.config, "workerinput"):
        return
    import renderer.compose  # noqa: F401
    from renderer.build import warm_up_job
    from renderer.editorial import clean, lint, words  # noqa: F401

    warm_up_job()
    clean.pinyin_syllables()
    words.frequencies()


def pytest_sessionfinish(session):
    """What this process's typesettings keep in the temporary folder (the shared font
    files, see ``renderer.typeset.release``) goes with the session: an xdist worker may
    end without running atexit, and a full run often left 16 MB in /tmp."""
    from renderer.typeset import release

    release()


def pytest_collection_modifyitems(items):
    """The tests marked `long` (a real process that builds, sends or waits for seconds)
    go first, so that the two workers end together on short ones, instead of one
    finishing a long test alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "issues" / "2022-02"
MAKE_ISSUE = [sys.executable, "-m", "renderer.cli"]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `make-issue` as an editor would: a real process, real exit code."""
    return subprocess.run([*MAKE_ISSUE, *map(str, args)], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@dataclass
class InProcess:
    """`make-issue` run inside this process (click's runner): the same exit code and
    output as the real command, without a Python start-up per case. The real command
    runs as a process where that is the point (start-up, signals, the installed script:
    tests/test_bad_inputs.py `test_the_full_command_gives_the_same_answer`, the kill tests)."""

    returncode: int
    stdout: str
    stderr: str


def run_in_process(*argv: str) -> InProcess:
    import traceback

    from click.testing import CliRunner

    from renderer.cli import main

    result = CliRunner().invoke(main, [str(a) for a in argv], catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))  # escaped the CLI
    return InProcess(result.exit_code, result.stdout, stderr)


@contextlib.contextmanager
def patches_off(module):
    """WeasyPrint without the patches of ``module`` (renderer.typeset.weasyprint70 or one of
    its modules), put back after: for the tests that compare both behaviours."""
    module.uninstall()
    try:
        yield
    finally:
        module.install()


def pdf_text(path: Path) -> str:
    """All the text of a PDF as PDFium extracts it (what a reader copies out)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def built_once(tmp_path_factory, worker_id, name: str, build) -> Path:
    """The folder that ``build(folder)`` fills, made once per test run and shared by the
    xdist workers: the first to ask builds under a lock, the others wait and read it (what
    ``build`` returns, the command's output, is kept in it as ``built``). Tests only read
    such files (a rebuild of them must be a no-op)."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # the workers' temporary folders share this run's parent
        shared = shared.parent
    out = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = out / "built"
        if not done.exists():
            said = build(out)
            done.write_text(said, encoding="utf-8")
    return out


def sample_pdfs(out: Path, issue: Path) -> dict[str, Path]:
    """The print and email PDFs of ``issue`` (the project's samples) built into ``out``."""
    key = issue.name
    pdfs = {edition: out / key / f"cqfao-newsletter-{key}-{edition}.pdf"
            for edition in ("print", "email")}
    said = (out / "built").read_text(encoding="utf-8")
    for path in pdfs.values():
        assert path.is_file(), f"{path} missing; the build said: {said}"
    return pdfs


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The sample issue built once per test run, by the real command."""
    def build(out: Path) -> str:
        result = run_cli("build", SAMPLE, "--out", out)
        assert result.returncode == 0, result.stderr
        return result.stderr

    return sample_pdfs(built_once(tmp_path_factory, worker_id, "sample-dist", build), SAMPLE)


CORPUS_ISSUES = sorted((ROOT / "tests" / "corpus" / "issues").iterdir())
SECOND_SAMPLE = ROOT / "issues" / "2022-03"


@pytest.fixture(scope="session")
def second_sample_build(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The second sample issue (every block element, the cover's lead story) built once
    per test run (in a worker's process: `sample_build` is the one by the real command)."""
    def build(out: Path) -> str:
        result = run_in_process("build", SECOND_SAMPLE, "--out", out)
        assert result.returncode == 0, result.stderr
        return result.stderr

    return sample_pdfs(built_once(tmp_path_factory, worker_id, "second-sample-dist", build),
                      SECOND_SAMPLE)


@pytest.fixture(scope="session")
def corpus_builds(tmp_path_factory) -> dict[Path, dict[str, Path]]:
    """The corpus issues (other newsletters) built once per session, in one command.
    Tests that use it carry `pytest.mark.xdist_group("corpus")`, so one worker builds."""
    from renderer.load import load_issue

    out = tmp_path_factory.mktemp("corpus")
    result = run_in_process("build", *CORPUS_ISSUES, "--out", out)
    assert result.returncode == 0, result.stderr
    built = {}
    for folder in CORPUS_ISSUES:
        issue = load_issue(folder)
        built[folder] = {edition: out / issue.key / f"{issue.slug}-{issue.key}-{edition}.pdf"
                         for edition in ("print", "email")}
        assert all(path.is_file() for path in built[folder].values()), result.stderr
    return built
