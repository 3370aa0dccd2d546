"""A build killed at any moment leaves only complete outputs; builds of one issue take turns.

The real `make-issue build` runs in its own process group and is killed with SIGKILL
(no cleanup can run) at several moments; whatever is then visible under the output
folder must be complete: every PDF opens with pikepdf and ends with %%EOF, every cache
record is valid JSON. Temporary files are hidden ('.<name>.<random>.partial') and
the next build removes them. renderer/deliver/files.py does the writing (write to a
temporary name, fsync, rename(2)) and the locking (flock(2)).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pikepdf
import pytest

from renderer.deliver import files
from tests.conftest import MAKE_ISSUE, ROOT, run_cli, run_in_process
from tests.tiny_issue import OUTPUTS, write_tiny_issue

# Moments to kill, as fractions of how long a whole build takes on this machine (a spread;
# the kill inside the write window itself is made at a known point below).
KILL_AT_FRACTIONS = (0.3, 0.7, 0.9)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def start_build(issue: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*MAKE_ISSUE, "build", str(issue), "--out", str(out), *extra],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own group: workers die with it


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the build and the typesetting workers it forked (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had already finished
    process.communicate(timeout=30)


def visible_files(out: Path) -> list[Path]:
    """Files an editor sees: none of the path's parts is a dot-name (.press-cache, .x.partial);
    the web editions' folders aside (assert_only_complete_outputs checks them whole)."""
    return [p for p in out.rglob("*") if p.is_file()
            and not any(part.startswith(".") or part == "web"
                        for part in p.relative_to(out).parts)]


def assert_complete_pdf(path: Path) -> None:
    data = path.read_bytes()
    assert b"%%EOF" in data[-64:], f"{path} is truncated"
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 1


def assert_only_complete_outputs(out: Path) -> None:
    from renderer.deliver.files import missing_files

    for path in visible_files(out):
        assert not path.name.endswith(files.PARTIAL_SUFFIX), f"visible partial {path}"
        assert path.suffix == ".pdf", f"unexpected output {path}"
        assert_complete_pdf(path)
    for web in out.glob("*/web"):  # a web edition is there whole, or not at all
        assert missing_files(web) == [] and (web / "index.html").is_file(), f"incomplete {web}"
    for record in out.glob(".press-cache/*.json"):
        json.loads(record.read_text())


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    return write_tiny_issue(tmp_path / "issue")


@pytest.fixture(scope="session")  # its tests are not in a row: the long one goes first
def build_seconds(tmp_path_factory) -> float:
    """How long a cold build of the tiny issue takes here, start-up included."""
    folder = tmp_path_factory.mktemp("timed")
    started = time.monotonic()
    assert run_cli("build", write_tiny_issue(folder / "issue"), "--out",
                   folder / "dist").returncode == 0
    return time.monotonic() - started


@pytest.mark.long
@pytest.mark.xdist_group("timed-tiny-build")  # one worker times the build for all
def test_sigkill_at_any_moment_leaves_only_complete_pdfs(issue: Path, tmp_path: Path,
                                                         build_seconds: float):
    out = tmp_path / "dist"
    assert run_in_process("build", issue, "--out", out).returncode == 0  # the pair to keep
    for fraction in KILL_AT_FRACTIONS:
        build = start_build(issue, out, "--force")
        time.sleep(fraction * build_seconds)
        kill_group(build)
        assert_only_complete_outputs(out)
        assert sorted(p.relative_to(out) for p in visible_files(out)) == sorted(OUTPUTS.values())

    finished = run_in_process("build", issue, "--out", out, "--force")  # the next build

    assert finished.returncode == 0, finished.stderr
    assert_only_complete_outputs(out)
    assert sorted(p.relative_to(out) for p in visible_files(out)) == sorted(OUTPUTS.values())
    left = list((out / OUTPUTS["print"].parent).glob(f"*{files.PARTIAL_SUFFIX}"))
    assert not left, f"stale partials were not removed: {left}"


def kill_inside_the_write_window(build: subprocess.Popen, folder: Path,
                                 seconds: float = 120) -> Path:
    """SIGKILL the build at a known point: while an edition is staged (written, being
    checked, not yet renamed). Returns the staged file, which SIGKILL leaves behind: its
    presence after the kill proves the kill landed in the window."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        staged = list(folder.glob(f".*{files.PARTIAL_SUFFIX}")) if folder.is_dir() else []
        if staged:
            kill_group(build)
            return staged[0]
        assert build.poll() is None, "the build ended before it staged anything"
        time.sleep(0.002)
    raise AssertionError("no staged edition appeared")


def test_a_rebuild_killed_while_an_edition_is_staged_keeps_the_previous_pair(
        issue: Path, tmp_path: Path):
    out = tmp_path / "dist"
    assert run_in_process("build", issue, "--out", out).returncode == 0  # the previous pair
    previous = {edition: (out / path).read_bytes() for edition, path in OUTPUTS.items()}
    (issue / "articles" / "02-two.md").write_text(
        (issue / "articles" / "02-two.md").read_text().replace("Only one", "Just one"))

    build = start_build(issue, out)
    staged = kill_inside_the_write_window(build, out / OUTPUTS["email"].parent)

    assert staged.exists(), "the kill missed the write window"
    assert_only_complete_outputs(out)
    assert {edition: (out / path).read_bytes() for edition, path in OUTPUTS.items()} == previous
    finished = run_in_process("build", issue, "--out", out)
    assert finished.returncode == 0, finished.stderr
    assert not staged.exists()
    assert b"Just one" in _text(out / OUTPUTS["email"])


def _text(pdf: Path) -> bytes:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout


def test_a_killed_writer_leaves_a_hidden_partial_that_the_next_build_removes(tmp_path: Path):
    """Killed between writing the temporary file and renaming it: the target is untouched,
    the temporary file is a dot-file, and remove_stale_partials (run by every build
    under its lock) deletes it."""
    target = tmp_path / "out" / "2022-03" / "test-news-2022-03-print.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-1.7 old complete file\n%%EOF\n")
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from renderer.deliver import files
        with files.staged(Path({str(target)!r}), b"%PDF-1.7 new" + b"x" * 100000):
            print("staged", flush=True)
            time.sleep(60)
        """)], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "staged"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)

    partials = list(target.parent.glob(f"*{files.PARTIAL_SUFFIX}"))
    assert len(partials) == 1 and partials[0].name.startswith(f".{target.name}.")
    assert target.read_bytes() == b"%PDF-1.7 old complete file\n%%EOF\n"
    assert files.remove_stale_partials(target.parent) == partials
    assert not list(target.parent.glob(f"*{files.PARTIAL_SUFFIX}"))


def test_a_real_build_removes_stale_partials(issue: Path, tmp_path: Path):
    out = tmp_path / "dist"
    folder = out / "2022-03"
    folder.mkdir(parents=True)
    stale = folder / f".{OUTPUTS['email'].name}.k1ll3d{files.PARTIAL_SUFFIX}"
    stale.write_bytes(b"%PDF-1.7 half a fi")

    result = run_in_process("build", issue, "--out", out, "--edition", "email")

    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert_complete_pdf(out / OUTPUTS["email"])


def test_a_real_build_removes_stale_partials_of_cache_records(issue: Path, tmp_path: Path):
    out = tmp_path / "dist"
    (out / ".press-cache").mkdir(parents=True)
    stale = out / ".press-cache" / f".0123456789abcdef-email.json.k1ll3d{files.PARTIAL_SUFFIX}"
    stale.write_bytes(b'{"fingerprint": "')

    result = run_in_process("build", issue, "--out", out, "--edition", "email")

    assert result.returncode == 0, result.stderr
    assert not stale.exists()


def test_two_builds_at_once_take_turns_and_both_succeed(issue: Path, tmp_path: Path):
    out = tmp_path / "dist"
    builds = [start_build(issue, out, "--force") for _ in range(2)]
    results = [build.communicate(timeout=120) + (build.returncode,) for build in builds]

    for _stdout, stderr, code in results:
        assert code == 0, stderr.decode()
        assert b"Traceback" not in stderr
    assert_only_complete_outputs(out)
    assert sorted(p.relative_to(out) for p in visible_files(out)) == sorted(OUTPUTS.values())


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from renderer.deliver import files
with files.build_lock(Path(sys.argv[1])):
    print("locked", time.monotonic(), flush=True)
    time.sleep(float(sys.argv[2]))
    print("released", time.monotonic(), flush=True)
"""


def test_the_build_lock_serializes_processes(tmp_path: Path):
    """A second process asking for the lock gets it only after the first releases it,
    and a holder killed with SIGKILL does not leave the lock taken."""
    folder = tmp_path / "2022-03"
    first = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(folder), "1.0"],
                             cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().startswith("locked")
    second = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(folder), "0"],
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
    released_at = float(first.stdout.readline().split()[1])
    locked_at = float(second.stdout.readline().split()[1])
    assert locked_at >= released_at
    first.wait(timeout=10), second.wait(timeout=10)

    killed = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(folder), "60"],
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
    assert killed.stdout.readline().startswith("locked")
    killed.kill()
    killed.wait(timeout=10)
    after = subprocess.run([sys.executable, "-c", LOCK_HOLDER, str(folder), "0"], cwd=ROOT,
                           env=ENV, capture_output=True, text=True, timeout=10)
    assert after.stdout.startswith("locked")


@pytest.mark.xdist_group("timed-tiny-build")
@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.35, 0.5])
def test_ctrl_c_early_in_a_build_is_quiet_and_leaves_nothing(issue: Path, tmp_path: Path,
                                                            build_seconds: float,
                                                            fraction: float):
    """Ctrl-C reaches the whole process group, typesetting workers included: the build
    answers it (exit 130, one line), the workers ignore it, nothing half-done is left.
    The moments are fractions of a build's time here: start-up, imports, typesetting."""
    out = tmp_path / "dist"
    build = start_build(issue, out)
    time.sleep(fraction * build_seconds)
    os.killpg(build.pid, signal.SIGINT)
    stdout, stderr = build.communicate(timeout=60)
    output = (stdout + stderr).decode()
    assert build.returncode == 130, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "interrupted" in stderr.decode()
    time.sleep(0.3)  # the workers are gone too: nothing more is written after the exit
    assert not [p for p in tmp_path.rglob("*") if p.suffix in {".pdf", ".partial"}]
    assert not [line for line in subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                                text=True).stdout.splitlines()
                if str(out) in line], "a typesetting worker outlived the build"


def test_a_failed_edition_leaves_no_mixed_pair(issue: Path, tmp_path: Path):
    """The email edition fails its budget after the print edition passed: neither is
    written, the previous pair stays as it was (and the budget is shown in KB)."""
    out = tmp_path / "dist"
    assert run_in_process("build", issue, "--out", out).returncode == 0
    before = {edition: (out / path).read_bytes() for edition, path in OUTPUTS.items()}
    article = issue / "articles" / "02-two.md"
    article.write_text(article.read_text().replace("Only one", "Just one"))
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text() + "email:\n  size_budget: 1KB\n")

    failed = run_in_process("build", issue, "--out", out)

    assert failed.returncode == 2, failed.stderr
    assert "over its budget of 1 KB" in failed.stderr, failed.stderr
    assert "0.00 MB" not in failed.stderr
    after = {edition: (out / path).read_bytes() for edition, path in OUTPUTS.items()}
    assert after == before, "one edition was replaced while the other was not"
    assert_only_complete_outputs(out)
    assert not list(out.rglob(f"*{files.PARTIAL_SUFFIX}"))
