"""`make-issue check` and `audit` on files the press did not make, through the CLI:
decompression bombs are refused within a small memory and time budget, any PDF gets a
report or one clear message (never a traceback), text past the trim and nearly blank
images are found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_in_process
from tests.tiny_issue import OUTPUTS, article_text, write_tiny_issue
from tests.verify.test_preflight import build  # the fixture builders

BOMB_MAX_RSS_MB = 300
BOMB_MAX_SECONDS = 5.0


# The CLI run in a child that writes its own peak RSS (VmHWM) when it exits. Not the
# child's getrusage: on Linux ru_maxrss carries over the parent's peak through fork and
# exec, so a child of a big pytest worker would seem big however little it used.
_MEASURED = """
import runpy, sys
peak = sys.argv.pop(1)
try:
    runpy.run_module("renderer.cli", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status, open(peak, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])
"""


def measured_cli(*args: str, tmp: Path) -> tuple[int, str, float, float]:
    """Run make-issue in a child; exit code, stderr, peak RSS of that child (MB), seconds."""
    peak = tmp / "vmhwm"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _MEASURED, str(peak), *map(str, args)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.monotonic() - started
    return result.returncode, result.stderr, int(peak.read_text()) / 1024, seconds


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return build.flate_bomb(tmp_path_factory.mktemp("bomb") / "bomb.pdf")


def test_the_bomb_builder_makes_a_stream_that_inflates_to_its_size(tmp_path):
    import zlib

    import pikepdf

    with pikepdf.open(build.flate_bomb(tmp_path / "small.pdf", inflated_mb=3)) as pdf:
        raw = pdf.pages[0].Contents.read_raw_bytes()
    assert zlib.decompress(raw) == b" " * (3 << 20)  # zlib, unlike qpdf, checks the Adler-32


@pytest.mark.parametrize("command", ["check", "audit"])
def test_a_flate_bomb_is_refused_in_little_memory_and_time(bomb, command, tmp_path):
    assert bomb.stat().st_size < 1_200_000  # ~1 MB that inflates to 1 GB
    code, stderr, rss_mb, seconds = measured_cli(command, bomb, tmp=tmp_path)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert str(bomb) in stderr and "decompression bomb" in stderr and "16 MB" in stderr, stderr
    assert rss_mb < BOMB_MAX_RSS_MB, f"{rss_mb:.0f} MB"
    assert seconds < BOMB_MAX_SECONDS, f"{seconds:.1f} s"


# ------------------------------------------------------------------ any PDF


@pytest.fixture(scope="module")
def foreign(tmp_path_factory) -> Path:
    return build.any_pdf(tmp_path_factory.mktemp("foreign") / "letter.pdf")


def test_check_reports_on_a_pdf_without_trim_box(foreign):
    result = run_in_process("check", foreign, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["page-boxes"] == "fail"
    assert statuses["text-inside-trim"] == "pass"  # measured against the MediaBox
    codes = {d["code"] for d in report["diagnostics"] if d["severity"] == "error"}
    assert "preflight.page-boxes" in codes
    assert "no TrimBox" in run_in_process("check", foreign).stdout


def test_check_and_audit_of_a_password_protected_pdf(foreign, tmp_path):
    locked = build.password_protected(foreign, tmp_path / "locked.pdf")
    result = run_in_process("check", locked)
    assert result.returncode == 1 and "needs a password" in result.stdout, result
    assert "Traceback" not in result.stderr
    result = run_in_process("audit", locked)
    assert result.returncode == 2 and "needs a password" in result.stderr, result
    assert "Traceback" not in result.stderr


def test_check_of_a_damaged_pdf_names_the_damage(foreign, tmp_path):
    damaged = build.damage_xref(foreign, tmp_path / "damaged.pdf")
    result = run_in_process("check", damaged)
    assert result.returncode == 1, result
    assert "FAIL  qpdf-check" in result.stdout and "Traceback" not in result.stderr


def test_check_and_audit_of_a_file_that_is_no_pdf(tmp_path):
    fake = build.not_a_pdf(tmp_path / "photo.pdf")
    for command in ("check", "audit"):
        result = run_in_process(command, fake)
        assert result.returncode == 2, result
        assert str(fake) in result.stderr and "Traceback" not in result.stderr


def test_check_of_a_truncated_pdf_is_one_message(foreign, tmp_path):
    truncated = tmp_path / "cut.pdf"
    truncated.write_bytes(foreign.read_bytes()[:40])
    result = run_in_process("check", truncated)
    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# ------------------------------------------------------------------ text past the trim


LONG_WORD = "Supercalifragilistic" * 6  # one 120-character word
LONG_URL = "https://example.org/" + "a" * 130  # 150 characters


def test_a_long_word_and_url_wrap_and_pass_text_inside_trim(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    (issue / "articles" / "01-one.md").write_text(article_text(
        title_en=LONG_WORD, title_zh="一篇短文",
        en=f"The address is {LONG_URL} for the record.\n\nThe second paragraph.",
        zh="文章的第一段。\n\n文章的第二段。"), encoding="utf-8")
    out = tmp_path / "dist"
    built = run_in_process("build", issue, "--out", out)
    assert built.returncode == 0, built.stdout + built.stderr
    for edition in ("print", "email"):
        result = run_in_process("check", out / OUTPUTS[edition], "--json")
        report = json.loads(result.stdout)
        statuses = {c["name"]: c["status"] for c in report["checks"]}
        assert statuses["text-inside-trim"] == "pass", (edition, report)


def test_text_past_the_trim_fails_with_the_page_named(tmp_path):
    kit = build.make_kit(tmp_path)
    pdf = kit.render("wide.pdf", "<p>Fine.</p><p style='break-before: page; white-space: "
                     f"nowrap'>{LONG_URL} and more words after it</p>")
    result = run_in_process("check", pdf, "--json")
    assert result.returncode == 1, result
    report = json.loads(result.stdout)
    check = next(c for c in report["checks"] if c["name"] == "text-inside-trim")
    assert check["status"] == "fail"
    assert check["evidence"].startswith("page 2: ") and "outside the trim" in check["evidence"]
    found = [d for d in report["diagnostics"] if d["code"] == "preflight.text-inside-trim"]
    assert found and found[0]["severity"] == "error" and found[0]["page"] == 2
    assert "overflow-wrap" in found[0]["hint"]


# ------------------------------------------------------------------ nearly blank images


def test_a_nearly_blank_image_is_a_warning_with_page_and_size(tmp_path):
    kit = build.make_kit(tmp_path)
    build.nearly_blank_jpeg(tmp_path / "blank.jpg", 300)
    build.photo_jpeg(tmp_path / "photo.jpg", 300)
    pdf = kit.render("blank.pdf", "<img src='photo.jpg' style='width: 1in'>"
                     "<p style='break-before: page'><img src='blank.jpg' style='width: 1in'></p>")
    result = run_in_process("check", pdf, "--json")
    report = json.loads(result.stdout)
    check = next(c for c in report["checks"] if c["name"] == "images-not-blank")
    assert check["status"] == "warn", check
    lines = check["evidence"].splitlines()[1:]
    assert len(lines) == 1 and lines[0].startswith("page 2: ") and "300x300 px" in lines[0], lines
    assert "72x72 pt" in lines[0]
    found = [d for d in report["diagnostics"] if d["code"] == "preflight.images-not-blank"]
    assert found and found[0]["severity"] == "warning" and found[0]["page"] == 2
    assert report["ok"] is True and result.returncode == 0  # a warning: the file still passes


# ------------------------------------------------------------------ the reader's limits


def test_decoded_size_stops_at_the_limit_without_inflating_everything():
    import zlib

    import pikepdf

    from renderer.verify.preflight.reader import StreamTooLarge, decoded_size

    pdf = pikepdf.new()
    small = pikepdf.Stream(pdf, zlib.compress(b"x" * 1000), Filter=pikepdf.Name.FlateDecode)
    assert decoded_size(small, 10_000) == 1000
    chained = pikepdf.Stream(pdf, zlib.compress(b"x" * 1000).hex().encode() + b">",
                             Filter=[pikepdf.Name.ASCIIHexDecode, pikepdf.Name.FlateDecode])
    assert decoded_size(chained, 10_000) == 1000
    big = pikepdf.Stream(pdf, zlib.compress(b"\0" * 50_000_000), Filter=pikepdf.Name.FlateDecode)
    started = time.monotonic()
    with pytest.raises(StreamTooLarge):
        decoded_size(big, 1_000_000)
    assert time.monotonic() - started < 1.0


def test_the_walk_has_a_budget_of_operators(tmp_path):
    """A form drawn many times costs its operators each time: the budget counts that."""
    import pikepdf

    from renderer.errors import PressError
    from renderer.verify.preflight.reader import WalkBudget, take_inventory

    pdf = pikepdf.new()
    pdf.add_blank_page()
    form = pikepdf.Stream(pdf, b"0 0 1 1 re f\n" * 100, Type=pikepdf.Name.XObject,
                          Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
    page = pdf.pages[0].obj
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm=pdf.make_indirect(form)))
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q /Fm Do Q\n" * 50))
    take_inventory(pdf, WalkBudget(tmp_path / "x.pdf", left=20_000))  # 50 x 200 + 150: fits
    with pytest.raises(PressError, match="content operators"):
        take_inventory(pdf, WalkBudget(tmp_path / "x.pdf", left=5_000))


def test_bad_operands_are_a_content_problem_not_a_crash():
    import pikepdf

    from renderer.verify.preflight.reader import WalkBudget, take_inventory

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_indirect(
        pikepdf.Stream(pdf, b"/A /B /C /D /E /F cm 1 0 0 rg 0 0 10 10 re f"))
    inventory = take_inventory(pdf, WalkBudget(Path("x.pdf")))
    assert any("operator cm with bad operands" in problem for problem in inventory.problems)
    assert inventory.colours  # the fill after it was still seen


def test_every_rule_names_what_it_checks_and_its_norm():
    from renderer.verify.preflight import RULES

    assert len({rule.name for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.checks and rule.norm and rule.hint, rule.name


def test_content_too_large_to_parse_is_skipped_with_a_warning_not_parsed(tmp_path):
    """4 MB of fills would take ~400 MB as parsed operators: not interpreted, reported."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_indirect(
        pikepdf.Stream(pdf, b"0 0 1 1 re f\n" * (4 * 1024 * 1024 // 13)))
    dense = tmp_path / "dense.pdf"
    pdf.save(dense)
    code, stderr, rss_mb, seconds = measured_cli("check", dense, "--json", tmp=tmp_path)
    assert code == 1 and "Traceback" not in stderr, stderr
    assert rss_mb < BOMB_MAX_RSS_MB, f"{rss_mb:.0f} MB"
    report = json.loads(run_in_process("check", dense, "--json").stdout)
    check = next(c for c in report["checks"] if c["name"] == "content-streams")
    assert check["status"] == "warn" and "not interpreted" in check["evidence"], check
