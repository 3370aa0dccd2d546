"""Figures as cameras and editing programs save them, read back from the built PDFs.

A 16-bit greyscale PNG must print its greys (Pillow's own conversion clips it to
white), a phone JPEG must print upright (EXIF orientation), and an unreadable file
is named, never shown as a Python object.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from pikepdf import PdfImage
from PIL import Image, ImageCms, ImageStat

from renderer.assets import CMYK_PROFILE
from tests.conftest import run_in_process
from tests.tiny_issue import OUTPUTS, write_tiny_issue

FIGURE = """\
  zh: 一篇短文
figures:
  - image: images/{name}
    caption: {{en: A picture, zh: 一张图}}
---
"""


def issue_with_figure(tmp_path: Path, name: str, data: bytes) -> Path:
    issue = write_tiny_issue(tmp_path / "issue")
    (issue / "images" / name).write_bytes(data)
    article = issue / "articles" / "01-one.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("  zh: 一篇短文\n---\n", FIGURE.format(name=name), 1),
                       encoding="utf-8")
    return issue


def placed_images(pdf_path: Path) -> list[Image.Image]:
    """Every image XObject of the PDF (each once), decoded."""
    images, seen = [], set()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for raw in page.get_images().values():
                if raw.objgen not in seen:
                    seen.add(raw.objgen)
                    images.append(PdfImage(raw).as_pil_image())
    return images


def grey_mean(image: Image.Image) -> float:
    """Mean lightness (0 black to 255 white); CMYK is seen through the press's profile."""
    if image.mode == "CMYK":
        image = ImageCms.applyTransform(image, ImageCms.buildTransform(
            ImageCms.getOpenProfile(str(CMYK_PROFILE)), ImageCms.createProfile("sRGB"),
            "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC))
    return ImageStat.Stat(image.convert("L")).mean[0]


def sixteen_bit_png(width: int, height: int) -> tuple[bytes, float]:
    """A horizontal grey ramp stored with 16 bits per sample; and its mean in 8 bits."""
    row = [round(65535 * x / (width - 1)) for x in range(width)]
    image = Image.new("I;16", (width, height))
    image.frombytes(b"".join(v.to_bytes(2, "little") for v in row) * height)
    out = io.BytesIO()
    image.save(out, "PNG")
    data = out.getvalue()
    check = Image.open(io.BytesIO(data))
    assert check.mode.startswith("I") and check.getextrema() == (0, 65535)
    return data, sum(row) / len(row) / 257


def test_a_16_bit_greyscale_png_prints_its_greys_in_both_editions(tmp_path: Path):
    data, source_mean = sixteen_bit_png(2000, 400)
    issue = issue_with_figure(tmp_path, "ramp.png", data)
    out = tmp_path / "out"
    result = run_in_process("build", issue, "--out", out)
    assert result.returncode == 0, result.stderr
    for edition in ("print", "email"):
        (image,) = placed_images(out / OUTPUTS[edition])
        mean = grey_mean(image)
        assert abs(mean - source_mean) < 25, (edition, image.mode, mean, source_mean)


def rotated_jpeg(stored: tuple[int, int], orientation: int) -> bytes:
    """A JPEG whose pixels are stored `stored` (w, h), with an EXIF orientation tag."""
    image = Image.new("RGB", stored, (90, 140, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def test_exif_orientation_is_applied_before_the_resolution_check(tmp_path: Path):
    """Orientation 6: stored 1200 x 1800 (too narrow for print), shown 1800 x 1200."""
    issue = issue_with_figure(tmp_path, "phone.jpg", rotated_jpeg((1200, 1800), 6))
    out = tmp_path / "out"
    result = run_in_process("build", issue, "--out", out)
    assert result.returncode == 0, result.stderr
    for edition in ("print", "email"):
        (image,) = placed_images(out / OUTPUTS[edition])
        assert image.width > image.height, (edition, image.size)
        assert abs(image.width / image.height - 1.5) < 0.01, (edition, image.size)


def test_an_unreadable_image_is_named_without_python_internals(tmp_path: Path):
    issue = issue_with_figure(tmp_path, "fig.png", b"GIF89a but not really\n" * 10)
    result = run_in_process("build", issue, "--out", tmp_path / "out", "--edition", "email")
    assert result.returncode == 2, result.stderr
    assert "fig.png" in result.stderr
    assert "BytesIO" not in result.stderr and " at 0x" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_cmyk_photo_keeps_its_separations_in_print_and_is_seen_through_the_profile_on_screen(
        tmp_path: Path):
    """A CMYK JPEG from a print workflow is taken as it is for the paper (converting it to
    RGB and back would change the plates), and shown through the press's profile on screen
    (Pillow's own CMYK -> RGB ignores any profile)."""
    source = Image.new("CMYK", (2000, 1000), (0, 200, 255, 40))  # a warm orange
    out = io.BytesIO()
    source.save(out, "JPEG", quality=95)
    issue = issue_with_figure(tmp_path, "orange.jpg", out.getvalue())
    result = run_in_process("build", issue, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    [printed] = placed_images(tmp_path / "out" / OUTPUTS["print"])
    assert printed.mode == "CMYK"
    plates = [round(v) for v in ImageStat.Stat(printed).mean]
    assert all(abs(a - b) <= 3 for a, b in zip(plates, (0, 200, 255, 40))), plates
    [shown] = placed_images(tmp_path / "out" / OUTPUTS["email"])
    expected = ImageCms.applyTransform(Image.new("CMYK", (1, 1), (0, 200, 255, 40)),
                                       ImageCms.buildTransform(
        ImageCms.getOpenProfile(str(CMYK_PROFILE)), ImageCms.createProfile("sRGB"),
        "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)).getpixel((0, 0))
    naive = Image.new("CMYK", (1, 1), (0, 200, 255, 40)).convert("RGB").getpixel((0, 0))
    got = [round(v) for v in ImageStat.Stat(shown.convert("RGB")).mean]
    assert all(abs(a - b) <= 4 for a, b in zip(got, expected)), (got, expected)
    assert any(abs(a - b) > 10 for a, b in zip(got, naive)), "Pillow's profile-less conversion"
