"""Preflight against real PDFs: rendered by WeasyPrint 70, broken on purpose.

Each fixture is made at test time (tests/fixtures/preflight/build.py): a good
PDF/X-4 page, and variants with one known defect each. The good one must pass,
every broken one must fail on the finding it was built to show.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pikepdf
import pytest
from PIL import ImageCms

from renderer.errors import PressError
from renderer.verify import PreflightReport, preflight
from tests.conftest import ROOT

PRODUCTION_PROFILE = ROOT / "styles" / "profiles" / "FOGRA39L-coated.icc"


def _load_builders():
    path = ROOT / "tests" / "fixtures" / "preflight" / "build.py"
    spec = importlib.util.spec_from_file_location("preflight_fixture_build", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load_builders()

GOOD_BODY = (
    "<h1>Tree planting</h1><p>Consular officers planted trees at Hongyan Park.</p>"
    "<p lang='zh-Hans' style='font-family: \"Noto Sans CJK SC\"'>外国驻渝领事官员共建友谊林。</p>"
    "<img src='hi.jpg' style='width: 0.5in'>"
)


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> build.PressKit:
    folder = tmp_path_factory.mktemp("preflight")
    press = build.make_kit(folder)
    build.cmyk_jpeg(folder / "hi.jpg", 150)  # 150 px in 0.5 in: 300 ppi
    build.cmyk_jpeg(folder / "mid.jpg", 125)  # 250 ppi: a warning
    build.cmyk_jpeg(folder / "low.jpg", 36)  # 72 ppi: an error
    build.cmyk_jpeg(folder / "heavy.jpg", 150, (255, 255, 255, 255))  # 400% ink
    build.rgb_png(folder / "rgb.png", 150)
    return press


@pytest.fixture(scope="module")
def good_pdf(kit) -> Path:
    return kit.render("good.pdf", GOOD_BODY)


def check(report: PreflightReport, name: str):
    return report.check(name)


def assert_fails(report: PreflightReport, name: str, *evidence: str) -> None:
    found = report.check(name)
    assert found.status == "fail", report.to_text()
    for text in evidence:
        assert text in found.evidence, report.to_text()
    assert not report.ok


# ------------------------------------------------------------------ the good file


def test_good_pdfx4_passes_every_check(good_pdf):
    report = preflight(good_pdf, page_size="A4", page_multiple=1)
    assert report.ok, report.to_text()
    statuses = {c.name: c.status for c in report.checks}
    for name in ("pdfx-version", "output-intent", "trapped", "page-boxes", "page-size",
                 "fonts-embedded", "no-type3-fonts", "colour-spaces", "text-colour",
                 "ink-coverage", "image-resolution", "annotations", "encryption",
                 "page-count", "qpdf-check"):
        assert statuses[name] == "pass", report.to_text()
    assert "PDF/X-4" in check(report, "pdfx-version").evidence
    assert "'CMYK'" in check(report, "output-intent").evidence
    assert "300 ppi" in check(report, "image-resolution").evidence
    assert "all embedded" in check(report, "fonts-embedded").evidence


def test_weasyprint_rgb_crop_marks_are_a_warning_not_a_failure(good_pdf):
    # WeasyPrint 70 strokes crop marks in RGB black inside the bleed: trimmed off.
    marks = check(preflight(good_pdf), "printer-marks")
    assert marks.status == "warn"
    assert "DeviceRGB 0 0 0" in marks.evidence


@pytest.mark.skipif(not PRODUCTION_PROFILE.is_file(), reason="production CMYK profile not generated yet")
def test_good_pdf_with_the_production_profile_passes(tmp_path):
    press = build.PressKit(folder=tmp_path, profile=PRODUCTION_PROFILE)
    report = preflight(press.render("fogra.pdf", "<p>Hello</p>"), page_size="A4")
    assert report.ok, report.to_text()
    assert check(report, "output-intent").status == "pass"


# ------------------------------------------------------------------ broken renders


def test_rgb_text_fails_colour_and_text_checks(kit):
    pdf = kit.render("rgb-text.pdf", "<p style='color: rgb(0, 0, 255)'>Blue words</p>")
    report = preflight(pdf)
    assert_fails(report, "text-colour", "page 1", "DeviceRGB 0 0 1", "not 100% K")
    assert_fails(report, "colour-spaces", "DeviceRGB is not allowed", "text in DeviceRGB 0 0 1")


def test_rich_black_text_fails(kit):
    pdf = kit.render("rich-black.pdf", "<p style='color: device-cmyk(0.6 0.4 0.4 1)'>Rich</p>")
    report = preflight(pdf)
    assert_fails(report, "text-colour", "DeviceCMYK 0.6 0.4 0.4 1", "rich black")
    # 240% is within the default ink limit: only the text rule catches rich black.
    assert check(report, "ink-coverage").status == "pass"


def test_ink_above_the_limit_fails_with_the_colour_and_its_coverage(kit):
    box = "<div style='width: 20mm; height: 20mm; background: device-cmyk(1 1 1 1)'></div>"
    report = preflight(kit.render("heavy-box.pdf", box), ink_limit=300)
    assert_fails(report, "ink-coverage", "DeviceCMYK 1 1 1 1 = 400%", "page 1")
    assert preflight(kit.folder / "heavy-box.pdf", ink_limit=400).check("ink-coverage").status == "pass"


def test_cmyk_image_above_the_ink_limit_fails(kit):
    pdf = kit.render("heavy-image.pdf", "<img src='heavy.jpg' style='width: 0.5in'>")
    assert_fails(preflight(pdf), "ink-coverage", "CMYK image 150x150 px reaches 400%")


def test_72_ppi_image_fails_and_250_ppi_warns(kit):
    low = preflight(kit.render("low.pdf", "<img src='low.jpg' style='width: 0.5in'>"))
    assert_fails(low, "image-resolution", "36x36 px placed at 36x36 pt -> 72 ppi")
    mid = preflight(kit.render("mid.pdf", "<img src='mid.jpg' style='width: 0.5in'>"))
    assert mid.check("image-resolution").status == "warn"
    assert "250 ppi" in mid.check("image-resolution").evidence


def test_tiled_background_image_is_measured_through_its_pattern(kit):
    # WeasyPrint paints repeated backgrounds with a tiling pattern holding a form.
    tile = ("<div style='width: 40mm; height: 20mm; background: url(low.jpg) repeat;"
            " background-size: 0.5in'></div>")
    report = preflight(kit.render("tiled.pdf", tile))
    assert_fails(report, "image-resolution", "-> 72 ppi")


def test_untagged_rgb_image_fails_colour_spaces(kit):
    report = preflight(kit.render("rgb-image.pdf", "<img src='rgb.png' style='width: 0.5in'>"))
    assert_fails(report, "colour-spaces", "image in DeviceRGB")


def test_icc_tagged_rgb_image_is_information_only(kit, tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rendered = kit.render("rgb-image-2.pdf", "<img src='rgb.png' style='width: 0.5in'>")
    tagged = build.edit(rendered, tmp_path / "tagged.pdf", build.tag_rgb_images(srgb))
    report = preflight(tagged)
    spaces = report.check("colour-spaces")
    assert spaces.status == "info", report.to_text()
    assert "image in ICCBased RGB (N=3)" in spaces.evidence
    assert report.ok


def test_html_link_fails_annotations_in_print(kit):
    link = "<p><a href='https://example.org/' style='color: device-cmyk(0 0 0 1)'>site</a></p>"
    report = preflight(kit.render("link.pdf", link))
    assert_fails(report, "annotations", "Link to https://example.org/")
    assert report.check("text-colour").status == "pass"


def test_rgb_output_profile_fails_output_intent(kit, tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    press = build.make_kit(tmp_path, srgb)  # WeasyPrint does not check the profile's space
    report = preflight(press.render("rgb-intent.pdf", "<p>Hello</p>"))
    assert_fails(report, "output-intent", "profile colour space is 'RGB', not 'CMYK'")


def test_plain_pdf_fails_pdfx_identification(kit):
    report = preflight(kit.render("plain.pdf", "<p>Hello</p>", variant=None))
    assert_fails(report, "pdfx-version", "no GTS_PDFXVersion")
    assert_fails(report, "trapped", "not set")


# ------------------------------------------------------------------ pikepdf edits


def test_missing_trim_box_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "no-trim.pdf", build.remove_trim_box)
    assert_fails(preflight(pdf), "page-boxes", "page 1: no TrimBox")


def test_unembedded_font_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "helvetica.pdf", build.add_unembedded_font)
    report = preflight(pdf)
    assert_fails(report, "fonts-embedded", "Helvetica (Type1)", "referenced by name only")


def test_type0_font_without_its_program_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "stripped.pdf", build.strip_cid_font_files)
    assert_fails(preflight(pdf), "fonts-embedded", "Noto-Sans (Type0/CIDFontType2)",
                 "descriptor has no FontFile/FontFile2/FontFile3")


def test_type3_font_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "type3.pdf", build.add_type3_font)
    report = preflight(pdf)
    assert_fails(report, "no-type3-fonts", "Type 3 font", "page 1")
    assert report.check("fonts-embedded").status == "pass"


def test_link_annotation_added_after_rendering_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "annot.pdf", build.add_link_annotation)
    assert_fails(preflight(pdf), "annotations", "page 1: 1 x Link to https://example.org/")


def test_encrypted_pdf_fails(good_pdf, tmp_path):
    pdf = build.edit(good_pdf, tmp_path / "locked.pdf", lambda _: None, **build.encrypt_options())
    assert_fails(preflight(pdf), "encryption", "encrypted (aesv3, 256-bit, R6)")


def test_damaged_cross_reference_fails_qpdf(good_pdf, tmp_path):
    pdf = build.damage_xref(good_pdf, tmp_path / "damaged.pdf")
    assert_fails(preflight(pdf), "qpdf-check", "reconstruct cross-reference table")


# ------------------------------------------------------------------ parameters


def test_wrong_page_size_fails(good_pdf):
    assert_fails(preflight(good_pdf, page_size="Letter"), "page-size",
                 "expected Letter 612 x 792 pt", "595.28 x 841.89")


def test_wrong_bleed_fails(good_pdf):
    assert_fails(preflight(good_pdf, bleed_mm=5), "page-boxes",
                 "8.504/8.504/8.504/8.504 pt beyond TrimBox", "expected 14.173 pt")


def test_page_count_must_be_a_multiple(good_pdf):
    assert_fails(preflight(good_pdf, page_multiple=4), "page-count", "1 pages, must be a multiple of 4",
                 "add 3 page(s)")


# ------------------------------------------------------------------ email edition


def test_email_edition_is_lighter(kit):
    body = ("<p><a href='https://example.org/'>link</a> in <span style='color: rgb(200,0,0)'>red</span></p>"
            "<img src='low.jpg' style='width: 0.5in'>")
    pdf = kit.render("email.pdf", body, variant=None)
    report = preflight(pdf, edition="email", page_size="A4")
    assert report.ok, report.to_text()
    names = {c.name for c in report.checks}
    assert "text-colour" not in names and "pdfx-version" not in names
    assert report.check("image-resolution").status == "info"
    assert "72 ppi" in report.check("image-resolution").evidence
    assert report.check("annotations").status == "info"
    # The same file is not fit for print.
    assert not preflight(pdf, edition="print").ok


# ------------------------------------------------------------------ input errors and output


def test_not_a_pdf_raises_press_error_naming_the_file(tmp_path):
    fake = build.not_a_pdf(tmp_path / "issue.pdf")
    with pytest.raises(PressError) as caught:
        preflight(fake)
    assert str(fake) in str(caught.value)
    assert "not a PDF" in str(caught.value)


def test_missing_file_raises_press_error(tmp_path):
    with pytest.raises(PressError) as caught:
        preflight(tmp_path / "absent.pdf")
    assert "absent.pdf" in str(caught.value)


def test_unknown_edition_and_page_size_raise_press_error(good_pdf):
    with pytest.raises(PressError, match="edition"):
        preflight(good_pdf, edition="web")
    with pytest.raises(PressError, match="A5, A4, Letter or <width>x<height>mm"):
        preflight(good_pdf, page_size="A3")


def test_text_and_json_reports(kit):
    report = preflight(kit.render("rgb-text-2.pdf", "<p style='color: rgb(0,0,255)'>x</p>"))
    text = report.to_text()
    assert text.splitlines()[0].endswith(
        f"{sum(c.status == 'fail' for c in report.checks)} failed, "
        f"{sum(c.status == 'warn' for c in report.checks)} warnings, "
        f"{sum(c.status == 'pass' for c in report.checks)} passed")
    assert "FAIL" in text.splitlines()[0]
    status_lines = [line for line in text.splitlines()[1:] if not line.startswith(" ")]
    assert [line.split()[1] for line in status_lines] == [c.name for c in report.checks]
    assert "      page 1: " in text  # evidence is indented under its check
    data = json.loads(report.to_json())
    assert data["ok"] is False
    assert [c["name"] for c in data["checks"]] == [c.name for c in report.checks]
    assert {c["status"] for c in data["checks"]} <= {"pass", "warn", "fail", "info"}


def test_pdf_read_back_matches_the_fixture_claims(good_pdf):
    # Guard the fixtures themselves: the good page really has the boxes WeasyPrint
    # is documented to write, so a pass above is not a pass on an empty file.
    with pikepdf.open(good_pdf) as pdf:
        page = pdf.pages[0].obj
        assert [round(float(v), 2) for v in page.TrimBox] == [0, 0, 595.28, 841.89]
        assert [round(float(v), 2) for v in page.BleedBox] == [-8.5, -8.5, 603.78, 850.39]
        assert pdf.Root.OutputIntents[0].DestOutputProfile.read_bytes()[16:20] == b"CMYK"


def test_failed_checks_are_error_diagnostics_and_warnings_warnings(kit, good_pdf):
    report = preflight(kit.render("rgb-text-3.pdf", "<p style='color: rgb(0,0,255)'>x</p>"))
    failed = {f"preflight.{c.name}" for c in report.checks if c.status == "fail"}
    warned = {f"preflight.{c.name}" for c in report.checks if c.status == "warn"}
    assert {d.code for d in report.diagnostics if d.severity == "error"} == failed
    assert {d.code for d in report.diagnostics if d.severity == "warning"} == warned
    colour = next(d for d in report.diagnostics if d.code == "preflight.text-colour")
    assert colour.page == 1 and colour.hint and colour.file == str(report.pdf)
    data = json.loads(report.to_json())
    assert [d["code"] for d in data["diagnostics"]] == [d.code for d in report.diagnostics]
    assert "[error] preflight.text-colour" in report.to_text()
    # A warning alone does not fail the file: ok and the JSON's "ok" agree with the exit code.
    good = preflight(good_pdf)
    assert good.ok and json.loads(good.to_json())["ok"] is True
    assert [d.severity for d in good.diagnostics] == ["warning"] * len(good.diagnostics)


def test_a_pages_text_extent_encloses_every_character_box(sample_build, second_sample_build):
    """text-inside-trim reads a page character by character only when PDFium's text
    rectangles reach past the trim: sound only while they enclose every character's box,
    which this checks on every page of four real PDFs."""
    from renderer.verify.preflight.reader import text_pages

    for pdf in [*sample_build.values(), *second_sample_build.values()]:
        for page in text_pages(pdf):
            boxes = [box.rect for box in page.boxes()]
            if not boxes:
                continue
            assert page.extent is not None, (pdf.name, page.number)
            left, bottom, right, top = page.extent
            assert all(left - 1e-3 <= x0 and bottom - 1e-3 <= y0 and x1 <= right + 1e-3
                       and y1 <= top + 1e-3 for x0, y0, x1, y1 in boxes), (pdf.name, page.number)
