"""The theme (styles/theme.yaml): colours and the Chinese typography options per edition.

Colours: CMYK percentages -> CSS for print (device-cmyk) and email (sRGB). The print
colour is the master; its screen appearance is computed through the press's
characterization profile (relative colorimetric, ICC.1:2010) so the email edition shows
what the paper will show.

Typography: ``hanging_punctuation`` (clreq 3.1.7), true or false for both editions or
one value per edition; the stylesheet carries it to the typesetter as
``--press-hanging-punctuation: allow-end`` (renderer.typeset.weasyprint70.cjk).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from renderer.assets import THEME
from renderer.errors import PressError
from renderer.policy import EDITIONS

HANGING_DEFAULT = True


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


@cache
def _typography(path: Path) -> dict:
    import yaml

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PressError(f"the theme cannot be read: {error}", file=path,
                         fix="Restore styles/theme.yaml from the repository.") from None
    typography = spec.get("typography") if isinstance(spec, dict) else None
    if typography is None:
        return {}
    if not isinstance(typography, dict):
        raise PressError("'typography' must be a mapping of options.", file=path,
                         field="typography", fix="Write it as in the repository's theme.")
    return typography


def hanging_punctuation(edition: str, path: Path = THEME) -> bool:
    """Whether stops and commas hang into the margin in this edition's Chinese columns."""
    value = _typography(path).get("hanging_punctuation", HANGING_DEFAULT)
    if isinstance(value, bool):
        return value
    if isinstance(value, dict) and set(value) <= set(EDITIONS) and all(
            isinstance(flag, bool) for flag in value.values()):
        return value.get(edition, HANGING_DEFAULT)
    raise PressError(
        f"hanging_punctuation must be true, false or one of them per edition, not {value!r}.",
        file=path, field="typography.hanging_punctuation",
        fix="Write e.g. 'hanging_punctuation: {print: true, email: false}'.")
