"""Every editor mistake in tests/bad_inputs/ gets one clear paragraph and exit 2, never a crash.

Each case is one YAML file in tests/bad_inputs/ saying how to break the tiny issue of
tests/tiny_issue.py and what the editor must be told (see `CASE_KEYS` below). The case
is built into a temporary folder and run through the real `make-issue build`, in a
subprocess, as an editor would. For a failing case the test checks the exit code, the
message fragment, that stderr is one short paragraph without a traceback, and that no
PDF (or temporary .partial file) was left anywhere under the output folder.

To add a case, copy the closest YAML file and change it.

The corpus runs `build ... --edition email`: loading and preparing (where every one of
these mistakes is caught) are the same for both editions, and with two editions the
build first starts two typesetting workers whose start-up (about 0.7 s) the failing
build then waits for. `test_the_full_command_gives_the_same_answer` runs a sample of
cases with the plain `make-issue build <issue> --out <out>`.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from renderer.deliver.subscribers import read_subscribers
from tests.conftest import pdf_text, run_cli, run_in_process
from tests.tiny_issue import OUTPUTS, png_bytes, write_tiny_issue

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(CORPUS.glob("*.yaml"))
CASE_KEYS = {
    "why": "one line: the mistake this case makes",
    "write": "{path: text}: files written (UTF-8) into the issue, replacing any",
    "replace": "{path: [{old, new}, ...]}: text replaced in a file (old must occur)",
    "append": "{path: text}: text added at the end of a file",
    "remove": "[path, ...]: files deleted from the issue",
    "make": "{path: {kind: argument}}: files made at run time (see MAKERS)",
    "args": "CLI arguments; {issue} and {out} are filled in",
    "out_inside_file": "true: --out names a folder inside a regular file",
    "exit": "the expected exit code",
    "message": "a fragment stderr must contain",
    "pdf_text": "[fragment, ...]: for a build that succeeds, text the email PDF shows",
    "xfail": "why this case does not pass yet (a known bug, with where to fix it)",
}
DEFAULT_ARGS = ["build", "{issue}", "--out", "{out}", "--edition", "email"]
MAX_MESSAGE_CHARS = 700  # "one short paragraph"


def load_case(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(case) - set(CASE_KEYS)
    assert not unknown, f"{path.name}: unknown keys {unknown}; known: {sorted(CASE_KEYS)}"
    assert {"why", "exit", "message"} <= set(case), f"{path.name}: why, exit, message needed"
    return case


def case_params():
    for path in CASES:
        case = load_case(path)
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
        yield pytest.param(path, id=path.stem, marks=marks)


# --- building a case ----------------------------------------------------------

def build_case(case: dict[str, Any], tmp_path: Path) -> Path:
    issue = write_tiny_issue(tmp_path / "issue")
    for name, text in (case.get("write") or {}).items():
        target = issue / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, edits in (case.get("replace") or {}).items():
        text = (issue / name).read_text(encoding="utf-8")
        for edit in edits:
            assert edit["old"] in text, f"{name} has no {edit['old']!r} to replace"
            text = text.replace(edit["old"], edit["new"])
        (issue / name).write_text(text, encoding="utf-8")
    for name, text in (case.get("append") or {}).items():
        with open(issue / name, "a", encoding="utf-8") as out:
            out.write(text)
    for name in case.get("remove") or ():
        (issue / name).unlink()
    for name, spec in (case.get("make") or {}).items():
        target = issue / name
        target.parent.mkdir(parents=True, exist_ok=True)
        ((kind, argument), *options) = spec.items()
        MAKERS[kind](target, argument, dict(options), tmp_path)
    return issue


def make_png(target: Path, size: list[int], options: dict, tmp: Path) -> None:
    data = png_bytes(*size)
    target.write_bytes(data[:options.get("keep_bytes", len(data))])


def make_png_header(target: Path, size: list[int], options: dict, tmp: Path) -> None:
    target.write_bytes(png_bytes(*size, body=False))


def make_gif(target: Path, size: list[int], options: dict, tmp: Path) -> None:
    Image.new("L", tuple(size), 128).save(target, "GIF")


def make_big_text(target: Path, megabytes: int, options: dict, tmp: Path) -> None:
    line = "A long article. " * 4 + "\n\n"
    head = target.read_text(encoding="utf-8")
    with open(target, "w", encoding="utf-8") as out:
        out.write(head)
        out.write(line * (megabytes * 1_000_000 // len(line) + 1))


def make_encoded(target: Path, encoding: str, options: dict, tmp: Path) -> None:
    """The file saved in another encoding; characters it lacks become '?' (as editors do)."""
    target.write_bytes(target.read_text(encoding="utf-8").encode(encoding, errors="replace"))


def make_random_bytes(target: Path, count: int, options: dict, tmp: Path) -> None:
    data = bytes(random.Random(count).randrange(256) for _ in range(count))
    target.write_bytes(b"\xff\xfe" + data)  # never valid UTF-8, whatever the random part


def make_symlink_outside(target: Path, what: str, options: dict, tmp: Path) -> None:
    """A link from inside the issue to a valid file outside it (made at run time:
    the repository never holds a link that points outside)."""
    outside = tmp / "outside" / target.name
    outside.parent.mkdir(exist_ok=True)
    if what == "png":
        outside.write_bytes(png_bytes(1600, 900))
    else:
        shutil.copyfile(target, outside)
    target.unlink(missing_ok=True)
    target.symlink_to(outside)


def make_symlink(target: Path, to: str, options: dict, tmp: Path) -> None:
    target.symlink_to(to)


def make_copy(target: Path, source: str, options: dict, tmp: Path) -> None:
    shutil.copyfile(tmp / "issue" / source, target)


def make_padded(target: Path, kilobytes: int, options: dict, tmp: Path) -> None:
    with open(target, "a", encoding="utf-8") as out:
        out.write(("# padding\n" * 100) * kilobytes)


def make_bom_crlf(target: Path, _: bool, options: dict, tmp: Path) -> None:
    text = target.read_text(encoding="utf-8")
    target.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


MAKERS = {
    "png": make_png, "png_header": make_png_header, "gif": make_gif,
    "text_mb": make_big_text, "encode": make_encoded, "random_bytes": make_random_bytes,
    "symlink_outside": make_symlink_outside, "symlink": make_symlink, "copy": make_copy,
    "pad_kb": make_padded, "bom_crlf": make_bom_crlf,
}


def run_case(case: dict[str, Any], tmp_path: Path, args: list[str] | None = None,
             run=run_cli):
    issue = build_case(case, tmp_path)
    out = tmp_path / "out"
    if case.get("out_inside_file"):
        blocker = tmp_path / "a-regular-file"
        blocker.write_text("not a folder\n")
        out = blocker / "out"
    argv = [a.format(issue=issue, out=out) for a in (args or case.get("args") or DEFAULT_ARGS)]
    return (run(*argv, timeout=120) if run is run_cli else run(*argv)), out


# --- checks -------------------------------------------------------------------

def assert_refused(result, case: dict[str, Any], out: Path, tmp_path: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == case["exit"], output
    assert "Traceback" not in output, output
    assert case["message"] in result.stderr, output
    message = result.stderr.strip()
    assert message.startswith("error: "), output
    assert "\n\n" not in message and len(message) <= MAX_MESSAGE_CHARS, output
    left = [p for p in tmp_path.rglob("*") if p.suffix in {".pdf", ".partial"}]
    assert not left, f"left behind: {left}"
    if case.get("out_inside_file"):
        assert (tmp_path / "a-regular-file").read_text() == "not a folder\n"


def squeezed(text: str) -> str:
    """Text without whitespace and hyphens, to compare with the source: a line may
    break anywhere in a long URL, and hyphenation adds a hyphen or hides one (pdfium
    reports a hyphen it added at a line end as U+FFFE or U+0002)."""
    return re.sub(r"[\s\u00ad\u2010\ufffe\x02-]+", "", text)



@pytest.mark.parametrize("case_path", list(case_params()))
def test_bad_input_gets_a_clear_answer(case_path: Path, tmp_path: Path):
    case = load_case(case_path)
    result, out = run_case(case, tmp_path, run=run_in_process)
    if case["exit"] != 0:
        assert_refused(result, case, out, tmp_path)
        return
    assert result.returncode == 0, result.stdout + result.stderr
    text = squeezed(pdf_text(out / OUTPUTS["email"]))
    for fragment in case.get("pdf_text") or ():
        assert squeezed(fragment) in text, f"{fragment!r} not shown in the PDF"


def test_the_corpus_is_large_and_covers_each_stage():
    cases = [load_case(path) for path in CASES]
    assert len(cases) >= 40
    assert sum(case["exit"] == 2 for case in cases) >= 40


FULL_COMMAND_SAMPLE = ["yaml-manifest-malformed", "unknown-key-misspelt-required",
                       "article-symlink-outside", "image-72-ppi", "out-inside-regular-file"]


@pytest.mark.parametrize("name", FULL_COMMAND_SAMPLE)
def test_the_full_command_gives_the_same_answer(name: str, tmp_path: Path):
    case = load_case(CORPUS / f"{name}.yaml")
    result, out = run_case(case, tmp_path, args=["build", "{issue}", "--out", "{out}"])
    assert_refused(result, case, out, tmp_path)


def test_debug_shows_the_traceback(tmp_path: Path):
    case = load_case(CORPUS / "month-13.yaml")
    result, _ = run_case(case, tmp_path, args=["--debug", *DEFAULT_ARGS])
    assert "Traceback" in result.stderr
    assert "PressError" in result.stderr and "2022-13" in result.stderr
    assert result.returncode != 0


def test_errors_name_the_file_and_line(tmp_path: Path):
    """The message points at the exact line of the manifest that is wrong."""
    case = load_case(CORPUS / "month-13.yaml")
    result, _ = run_case(case, tmp_path)
    manifest = tmp_path / "issue" / "issue.yaml"
    line = next(n for n, text in enumerate(manifest.read_text().splitlines(), 1)
                if text.startswith("month:"))
    assert f"{manifest}:{line}: 'month'" in result.stderr


def test_subscriber_row_with_cr_lf_in_a_name_is_set_aside(tmp_path: Path):
    """A CR/LF in a name could forge mail headers: the row is rejected, the rest is kept."""
    csv = tmp_path / "subscribers.csv"
    csv.write_bytes(b'email,name,language\r\n'
                    b'a@example.org,"Ann\r\nBcc: victim@example.net",en\r\n'
                    b'b@example.org,Bob,zh\r\n')
    subscribers = read_subscribers(csv)
    assert [s.email for s in subscribers.valid] == ["b@example.org"]
    assert [row.line for row in subscribers.rejected] == [2]
    assert "\n" not in subscribers.report().split(": ", 1)[1]


def test_watch_of_a_missing_folder_says_so_once(tmp_path: Path):
    result = run_cli("watch", tmp_path / "no-such-issue", "--out", tmp_path / "out",
                     timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert output.count("is not an issue folder") == 1, output
    assert "internal error" not in output and "Traceback" not in output, output


RAW = """\
A Short Article
The first paragraph of the article.
一篇短文
文章的第一段。
"""


@pytest.mark.parametrize("options, option", [
    (["--slug", "../evil"], "--slug"),
    (["--slug", "Bad Slug"], "--slug"),
    (["--name-en", " "], "--name-en"),
    (["--publisher", ""], "--publisher"),
    (["--published", "2022-02-31"], "--published"),
    (["--month", "0000-03"], "--month"),
    (["--month", "2022-00"], "--month"),
])
def test_import_options_are_checked_like_manifest_fields_before_anything_is_written(
        tmp_path: Path, options: list[str], option: str):
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW, encoding="utf-8")
    into = tmp_path / "issues" / "2022-03"
    month = [] if "--month" in options else ["--month", "2022-03"]
    result = run_cli("import", raw, "--into", into, *month, *options, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"the option {option} cannot be used" in result.stderr, output
    assert "Traceback" not in output
    assert not into.exists() and not list(tmp_path.glob("issues/*")), "something was written"


def test_imported_options_give_a_manifest_the_loader_accepts(tmp_path: Path):
    raw = tmp_path / "raw.txt"
    raw.write_text(RAW, encoding="utf-8")
    into = tmp_path / "issue"
    result = run_cli("import", raw, "--into", into, "--month", "2022-03", "--slug", "ok-slug",
                     "--published", "2022-03-28", timeout=120)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    lint = run_cli("lint", into)
    assert lint.returncode in (0, 1) and "error" not in lint.stderr, lint.stderr
