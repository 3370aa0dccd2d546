"""The parallel columns keep the theme's measure whatever an article begins with: a
paragraph pair (the first row's cells set the column widths), a figure or a table across
both columns (the columns do). A line of Han characters fills the Chinese measure, a
whole number of characters (renderer.prepare.page.chinese_column_pt), read back from the PDF."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from renderer.prepare import page
from tests.conftest import run_in_process
from tests.tiny_issue import OUTPUTS, article_text, png_bytes, write_tiny_issue

# Common characters only (the bundled fonts are subsets), no punctuation: every full line
# is pure Han and holds exactly the measure's characters.
HAN = "重庆市人民政府外事办公室与渝中区政府共同主办植树活动" * 4
ENGLISH = ("The Chinese column beside this paragraph holds a whole number of characters on "
           "every full line, whatever the first row of the article's table is.")
OPENINGS = {  # article -> what comes before its first paragraph pair
    "01-pair.md": "",
    "02-figure.md": "",  # its figure (front matter) goes before the first row
    "03-wide.md": "::: wide\n| Office | Hours |\n|---|---|\n| Visas | 9:00 |\n:::\n\n",
}


def _issue(folder: Path) -> Path:
    write_tiny_issue(folder)
    for name in ("01-one.md", "02-two.md"):
        (folder / "articles" / name).unlink()
    (folder / "images" / "panorama.png").write_bytes(png_bytes(2400, 900))
    for name, opening in OPENINGS.items():
        text = article_text(f"Article {name[:2]}", f"文章{name[:2]}", opening + ENGLISH,
                            opening.replace("Office | Hours", "部门 | 时间") + HAN)
        if name == "02-figure.md":
            text = text.replace("---\n\n", "figures:\n  - image: images/panorama.png\n"
                                "    width: full\n    caption: {en: A panorama., zh: 全景。}\n"
                                "---\n\n", 1)
        (folder / "articles" / name).write_text(text, encoding="utf-8")
    manifest = folder / "issue.yaml"
    articles = "".join(f"  - articles/{name}\n" for name in OPENINGS)
    manifest.write_text(manifest.read_text(encoding="utf-8").split("articles:\n")[0]
                        + "articles:\n" + articles, encoding="utf-8")
    return folder


def _han_lines(pdf: Path) -> list[tuple[int, float, float]]:
    """(characters, left, right) of each line made only of HAN's characters."""
    han = set(HAN)
    lines: dict[tuple[int, float], list[tuple[float, float]]] = {}
    document = pdfium.PdfDocument(pdf)
    try:
        for number, pdf_page in enumerate(document):
            text = pdf_page.get_textpage()
            for index in range(text.count_chars()):
                if text.get_text_range(index, 1) in han:
                    left, bottom, right, _ = text.get_charbox(index, loose=True)
                    lines.setdefault((number, round(bottom)), []).append((left, right))
    finally:
        document.close()
    return [(len(boxes), min(b[0] for b in boxes), max(b[1] for b in boxes))
            for boxes in lines.values()]


def test_every_article_keeps_the_chinese_measure(tmp_path):
    folder = _issue(tmp_path / "issue")
    result = run_in_process("build", folder, "--out", tmp_path / "dist", "--edition", "email")
    assert result.returncode == 0, result.stderr

    lines = _han_lines(tmp_path / "dist" / OUTPUTS["email"])
    per_line = page.chinese_characters_per_line("A4")
    full = [line for line in lines if line[0] >= per_line]
    # each article's paragraph: a first line indented by 2 ems, then full lines, then the rest
    assert len(full) == len(OPENINGS) * ((len(HAN) - (per_line - 2)) // per_line), lines
    assert {count for count, _, _ in full} == {per_line}, lines
    lefts = [left for _, left, _ in full]
    rights = [right for _, _, right in full]
    assert max(lefts) - min(lefts) < 0.5 and max(rights) - min(rights) < 0.5, full  # one column
    measure_pt = per_line * page.zh_body_pt("A4")
    assert abs((min(rights) - min(lefts)) - measure_pt) < 1.0, (full, measure_pt)
