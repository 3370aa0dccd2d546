"""Issue 16's checks on fixtures of known content: overprint, Ghostscript's measured ink
per plate and total area coverage, the render with warnings as failures, qpdf --check.

Fixtures: tests/fixtures/preflight/build.py (rendered at test time, nothing committed).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pikepdf
import pytest

from renderer.typeset.finish import add_overprint
from renderer.verify import ghostscript
from renderer.verify.preflight import preflight

ROOT = Path(__file__).resolve().parents[2]


def _builders():
    path = ROOT / "tests" / "fixtures" / "preflight" / "build.py"
    spec = importlib.util.spec_from_file_location("preflight_fixture_build", path)
    module = sys.modules.get(spec.name)
    if module is not None:
        return module
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _builders()


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return build.make_kit(tmp_path_factory.mktemp("prepress-checks"))


def test_known_coverage_is_measured_per_plate_within_one_percent(kit):
    pdf = build.known_coverage_page(kit)
    measured = ghostscript.measure(pdf, limit=300)
    assert measured.problems == []
    [page] = measured.plates
    assert abs(page.c - 100) <= 1 and abs(page.k - 50) <= 1, page
    assert page.m <= 1 and page.y <= 1, page
    [area] = measured.areas
    assert abs(area.peak - 150) <= 1 and area.over_pixels == 0
    report = preflight(pdf, measure=True)
    line = report.check("ink-plates").evidence.splitlines()[1]
    assert line.startswith("page 1: C 100.00%  M 0.00%  Y 0.00%  K 49."), line  # 127/255


def test_over_inked_image_fails_naming_page_and_area(kit):
    report = preflight(build.over_inked_image(kit), measure=True)
    check = report.check("ink-measured")
    assert check.status == "fail", check
    assert "page 1:" in check.evidence and "up to 400%" in check.evidence
    # the image: 40 mm square at the 20 mm page margin + the body's 8 px (2.1 mm),
    # measured from the trim's top left
    line = check.evidence.splitlines()[1]
    area = float(line.split(": ")[1].split(" mm²")[0])
    assert 1500 <= area <= 1700, line  # 40 x 40 mm = 1600 mm²
    assert "x 22.2-62.1 mm, y 22.2-62.1 mm" in line, line
    assert any(d.page == 1 and d.code == "preflight.ink-measured" for d in report.diagnostics)


def test_knocked_out_black_on_a_tint_fails_and_the_finishing_pass_fixes_it(kit, tmp_path):
    pdf = build.knocked_out_black_on_tint(kit)
    check = preflight(pdf).check("overprint")
    assert check.status == "fail" and "on a tint knock out" in check.evidence, check
    fixed = tmp_path / "fixed.pdf"
    with pikepdf.open(pdf) as document:
        assert add_overprint(document) >= 1
        document.save(fixed)
    assert preflight(fixed).check("overprint").status == "pass"
    # the cyan plate under the black text: knocked out (0) before, intact after
    def cyan_floor(path):
        [image] = ghostscript.render_cmyk(path, ppi=100)
        mm = 100 / 25.4  # the tint: 22.1 mm from the top left, 5 mm of padding round the text
        tint = image.crop((int(25 * mm), int(25 * mm), int(100 * mm), int(33 * mm)))
        return tint.split()[0].getextrema()[0]
    assert cyan_floor(pdf) == 0
    assert cyan_floor(fixed) >= round(0.3 * 255) - 1


def test_white_that_overprints_fails(kit, tmp_path):
    pdf = kit.render("white.pdf", "<div style='background: device-cmyk(0 0 0 1); padding: 5mm'>"
                                  "<p style='color: device-cmyk(0 0 0 0)'>White</p></div>")
    broken = tmp_path / "white-op.pdf"
    with pikepdf.open(pdf) as document:
        page = document.pages[0]
        page.Resources.ExtGState = page.Resources.get("/ExtGState", pikepdf.Dictionary())
        page.Resources.ExtGState["/OPall"] = pikepdf.Dictionary(OP=True, op=True, OPM=1)
        page.contents_add(pikepdf.Stream(document, b""), prepend=True)
        data = b"/OPall gs\n" + page.Contents[1].read_bytes() if isinstance(
            page.Contents, pikepdf.Array) else b"/OPall gs\n" + page.Contents.read_bytes()
        page.Contents = pikepdf.Stream(document, data)
        document.save(broken)
    check = preflight(broken).check("overprint")
    assert check.status == "fail" and "white" in check.evidence, check


def test_rgb_text_fails_with_the_right_findings(kit):
    report = preflight(kit.render("rgb.pdf", "<p style='color: rgb(200, 0, 0)'>Red</p>"),
                       measure=True)
    assert report.check("text-colour").status == "fail"
    assert report.check("colour-spaces").status == "fail"
    assert report.check("ghostscript-render").status == "pass"  # renders, but not for print


def test_seven_page_saddle_stitch_job_fails_page_count(kit):
    report = preflight(build.seven_pages(kit), page_multiple=4)
    check = report.check("page-count")
    assert check.status == "fail" and "add 1 page" in check.evidence


def test_damaged_file_fails_ghostscript_and_qpdf_commands(kit, tmp_path):
    good = build.known_coverage_page(kit, "good.pdf")
    damaged = build.damage_xref(good, tmp_path / "damaged.pdf")
    assert ghostscript.qpdf_problems(damaged)
    assert ghostscript.render_problems(damaged)
    assert ghostscript.qpdf_problems(good) == [] and ghostscript.render_problems(good) == []
