"""The bundled CMYK output profile (styles/profiles/FOGRA39L-coated.icc).

Read with LittleCMS through Pillow's ImageCms: an ICC output profile (ICC.1 7.2.5,
class 'prtr') in CMYK, naming the FOGRA39 condition, through which sRGB figures
convert within the 300 % ink limit the preflight enforces.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageCms

PROFILE = Path(__file__).resolve().parent.parent / "styles/profiles/FOGRA39L-coated.icc"


def test_profile_is_a_cmyk_output_profile_for_fogra39():
    profile = ImageCms.getOpenProfile(str(PROFILE)).profile
    assert profile.device_class == "prtr"
    assert profile.xcolor_space.strip() == "CMYK"
    assert profile.connection_space.strip() == "Lab"
    assert "FOGRA39" in profile.profile_description
    assert "Zlib" in profile.copyright
    assert PROFILE.stat().st_size < 1_000_000


def test_srgb_converts_through_the_profile_within_the_ink_limit():
    srgb = ImageCms.createProfile("sRGB")
    cmyk = ImageCms.getOpenProfile(str(PROFILE))
    image = Image.new("RGB", (4, 1))
    image.putpixel((0, 0), (255, 255, 255))
    image.putpixel((1, 0), (0, 0, 0))
    image.putpixel((2, 0), (255, 0, 0))
    image.putpixel((3, 0), (0, 90, 200))
    for intent in (ImageCms.Intent.PERCEPTUAL, ImageCms.Intent.RELATIVE_COLORIMETRIC):
        transform = ImageCms.buildTransform(srgb, cmyk, "RGB", "CMYK", renderingIntent=intent)
        converted = ImageCms.applyTransform(image, transform)
        assert converted.mode == "CMYK"
        pixels = [converted.getpixel((x, 0)) for x in range(4)]
        assert pixels[0] == (0, 0, 0, 0)  # paper white: no ink
        assert pixels[1][3] > 200  # black is built on K
        assert pixels[2][1] > 200 and pixels[2][0] < 30  # red: magenta + yellow, no cyan
        for pixel in pixels:
            assert sum(pixel) / 255 * 100 <= 300 + 1  # total area coverage, 1 % rounding
