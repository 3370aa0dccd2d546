"""Theme colours: CMYK percentages -> CSS for print (device-cmyk) and email (sRGB).

The print colour is the master; its screen appearance is computed through the
press's characterization profile (relative colorimetric, ICC.1:2010) so the
email edition shows what the paper will show.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


def css_cmyk(cmyk: list[float]) -> str:
    c, m, y, k = (_fraction(v) for v in cmyk)
    return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


def css_rgb(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def cmyk_to_srgb(cmyk: list[float], profile: Path) -> tuple[int, int, int]:
    from PIL import Image

    pixel = Image.new("CMYK", (1, 1), tuple(round(_fraction(v) * 255) for v in cmyk))
    transform = _transform(str(profile))
    rgb = transform.apply(pixel).getpixel((0, 0))
    return tuple(rgb)  # type: ignore[return-value]


@lru_cache(maxsize=4)
def _transform(profile: str):
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.getOpenProfile(profile), ImageCms.createProfile("sRGB"), "CMYK", "RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


def _fraction(percent: float) -> float:
    if not 0 <= percent <= 100:
        raise ValueError(f"a CMYK percentage must be between 0 and 100, not {percent}")
    return round(percent / 100, 4)
