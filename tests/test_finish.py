"""A real cover and back, bilingual running heads, A5 and custom sizes (issue 14).

One saddle-stitched A5 build of the sample with a lead story, a bilingual publisher
and a web edition URL, read back from the PDFs: the back cover carries the colophon
and a QR code that a real decoder (zbarimg, Debian's zbar-tools) reads from a page
render; the padding pages come before it; both editions pass preflight (the build
runs it) and the Chinese audit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from renderer.build import build_issue
from renderer.policy import POINTS_PER_MM
from renderer.verify.audit import audit
from tests.conftest import ROOT

SAMPLE = ROOT / "issues" / "2022-02"
WEB_URL = "https://example.org/newsletter/2022-02/"  # the sample manifest's own web_url
EXTRA = """
cover:
  article: 01-consular-officers-chongqing-planting
  standfirst:
    en: Consular officers from twelve countries planted trees of friendship at Hongyan Park.
    zh: 来自十二个国家的领事官员在红岩公园种下友谊树。
print:
  binding: saddle-stitch
"""


def sample_copy(folder: Path, page_size: str) -> Path:
    shutil.copytree(SAMPLE, folder)
    manifest = folder / "issue.yaml"
    text = manifest.read_text(encoding="utf-8").replace("page_size: A4", f"page_size: {page_size}")
    text = text.replace(
        "publisher: Foreign Affairs Office of the Chongqing Municipal Government",
        "publisher:\n  en: Foreign Affairs Office of the Chongqing Municipal Government\n"
        "  zh: 重庆市人民政府外事办公室")
    manifest.write_text(text + EXTRA, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def a5_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("a5")
    result = build_issue(sample_copy(root / "issue", "A5"), root / "out")
    return {r.edition: r for r in result.editions}


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.xdist_group("a5")  # one worker builds it for the three
def test_the_back_cover_carries_colophon_and_qr_code_after_the_padding(a5_build, tmp_path):
    pdf = a5_build["print"].path
    pages = a5_build["print"].pages
    assert pages % 4 == 0
    back = page_text(pdf, pages)
    assert "Published by Foreign Affairs Office of the" in " ".join(back.split())
    assert "重庆市人民政府外事办公室出版" in back
    assert "newsletter@example.org" in back and WEB_URL in back
    assert "intentionally left blank" not in back
    blank = [n for n in range(1, pages) if "intentionally left blank" in page_text(pdf, n)]
    assert blank and blank == list(range(pages - len(blank), pages))  # just before the back
    subprocess.run(["pdftoppm", "-r", "100", "-f", str(pages), "-l", str(pages), "-png",
                    str(pdf), str(tmp_path / "back")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", *map(str, tmp_path.glob("back*.png"))],
                             capture_output=True, text=True)
    assert decoded.stdout.strip() == WEB_URL, decoded.stderr
    email = a5_build["email"]  # no back cover on screen: the colophon ends the last article
    assert "intentionally left blank" not in page_text(email.path, email.pages)


@pytest.mark.xdist_group("a5")  # one worker builds it for the three
def test_the_cover_has_the_lead_story_in_both_languages(a5_build):
    cover = page_text(a5_build["print"].path, 1)
    assert "Lead story" in cover and "本期要闻" in cover
    assert "planted trees of friendship" in cover
    assert "种下友谊树" in cover


@pytest.mark.xdist_group("a5")  # one worker builds it for the three
def test_a5_is_two_readable_columns_that_pass_the_audit(a5_build):
    with pikepdf.open(a5_build["print"].path) as pdf:
        trim = [float(v) for v in pdf.pages[0].TrimBox]
    assert round((trim[2] - trim[0]) / POINTS_PER_MM) == 148
    assert round((trim[3] - trim[1]) / POINTS_PER_MM) == 210
    for edition in ("print", "email"):
        report = audit(a5_build[edition].path)
        assert report.ok, report.as_report().to_text()


def test_a_custom_size_builds_and_passes(tmp_path):
    folder = sample_copy(tmp_path / "issue", "{width_mm: 170, height_mm: 240}")
    result = build_issue(folder, tmp_path / "out", editions=("email",), parallel=False)
    pdf = result.editions[0].path
    with pikepdf.open(pdf) as document:
        box = [float(v) for v in document.pages[0].MediaBox]
    assert (round(box[2] / POINTS_PER_MM), round(box[3] / POINTS_PER_MM)) == (170, 240)
    assert audit(pdf).ok


def test_running_heads_name_the_article_each_page_begins_with(sample_build):
    """Both languages; the article the page opens with, not one starting further down."""
    from renderer.load import load_issue

    titles = [(a.title.en, a.title.zh) for a in load_issue(SAMPLE).articles]
    pdf = sample_build["email"]
    with pikepdf.open(pdf) as document:
        page_of = {page.objgen: n for n, page in enumerate(document.pages, 1)}
        with document.open_outline() as outline:
            starts = [page_of[item.destination[0].objgen] for item in outline.root]
    assert len(starts) == len(titles)
    for page in range(2, len(page_of) + 1):
        lines = [line for line in page_text(pdf, page).split("\n") if line.strip()]
        head, first_body_line = lines[:2], lines[2]
        # the article begun on an earlier page, unless the page opens with a title band
        open_at_top = max((i for i, start in enumerate(starts) if start < page), default=None)
        for i, start in enumerate(starts):
            if start == page and titles[i][0].split()[0] in first_body_line:
                open_at_top = i
        en, zh = titles[open_at_top]
        assert "Chongqing Foreign Affairs Newsletter" in head[0] and "重庆外事简讯" in head[0]
        assert en[:30] in head[1], (page, head)
        assert zh[:8] in head[1].replace(" ", ""), (page, head)
