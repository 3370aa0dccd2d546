"""Figures -> one image per edition, as data: URLs the typesetter embeds as they are.

Print: converted to the press's CMYK through its characterization profile (ICC.1:2010,
relative colorimetric with black-point compensation), from the profile embedded in the
file, or sRGB when there is none; a CMYK file is taken as it is (it was made for print),
and checked for effective resolution at placed size: below 300
ppi a warning, below 200 ppi an error (print-shop norm). Email: sRGB (a CMYK file through the press's profile),
downsampled to 150 ppi at placed size and JPEG-compressed.

Images are opened with Pillow's decompression-bomb guard; a corrupt or
oversized file is reported by name.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
import warnings as pywarnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from renderer.assets import CMYK_PROFILE
from renderer.errors import PressError
from renderer.model import Bilingual, Figure, Issue, PreparedFigure
from renderer.policy import EMAIL_PPI, PRINT_GOOD_PPI, PRINT_MIN_PPI
from renderer.prepare import page

MAX_PIXELS = 60_000_000
LOGO_WIDTH_MM = 30.0  # styles/base.css, .masthead-logo
MAX_IMAGE_BYTES = 30_000_000


def prepare_figure(figure: Figure, article: Path, issue: Issue, warnings: list[str], *,
                   caption: Bilingual) -> PreparedFigure:
    """`caption` is the figure's caption as HTML, already prepared by the caller."""
    width_mm = page.text_width_mm(issue.page_size)  # a full-width figure spans both columns
    if figure.width == "logo":
        width_mm = LOGO_WIDTH_MM  # the masthead's logo (renderer.prepare: _cover_pictures)
    elif figure.width != "full":
        width_mm /= 2  # a column- or half-width one about half the measure
    converted = _convert(_read(figure, article), width_mm, figure, article)
    ppi = converted.width_px / (width_mm / 25.4)
    where = f"{article}:{figure.line}: figure {figure.image.name}"
    if ppi < PRINT_MIN_PPI:
        raise PressError(
            f"the image is {converted.width_px} px wide, {ppi:.0f} ppi at its printed width "
            f"of {width_mm:.0f} mm; the print edition needs at least {PRINT_MIN_PPI} ppi.",
            file=article, line=figure.line, field="figures.image",
            fix=f"Use an image at least {round(PRINT_GOOD_PPI * width_mm / 25.4)} px wide.")
    if ppi < PRINT_GOOD_PPI:
        warnings.append(f"{where} is {ppi:.0f} ppi at its printed width; "
                        f"{PRINT_GOOD_PPI} ppi or more prints sharply.")
    return PreparedFigure(src=converted.src, caption=caption, alt=figure.alt,
                          credit=figure.credit, credit_zh=figure.credit_zh,
                          width=figure.width, width_px=converted.width_px,
                          height_px=converted.height_px)


@dataclass(frozen=True)
class _Converted:
    src: dict[str, str]  # data: URL per edition
    width_px: int
    height_px: int


_converted: dict[tuple[str, float], _Converted] = {}
CONVERTED_KEPT = 64


def _convert(data: bytes, width_mm: float, figure: Figure, article: Path) -> _Converted:
    """The image for each edition, remembered by content: the same picture twice in an
    issue, or again in a watch-mode rebuild after a text edit, is converted once."""
    key = (hashlib.sha256(data).hexdigest(), width_mm)
    if key not in _converted:
        image = _decode(data, figure, article)
        if len(_converted) >= CONVERTED_KEPT:
            _converted.clear()
        _converted[key] = _Converted(
            src={"print": _data_url(_print_jpeg(image), "image/jpeg"),
                 "email": _data_url(_email_jpeg(image, width_mm), "image/jpeg")},
            width_px=image.width, height_px=image.height)
    return _converted[key]


def _read(figure: Figure, article: Path) -> bytes:
    size = figure.image.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise PressError(f"the image {figure.image.name} is {size / 1e6:.0f} MB.",
                         file=article, line=figure.line, field="figures.image",
                         fix="Export it at print size (about 2,100 px wide is enough).")
    return figure.image.read_bytes()


def _decode(data: bytes, figure: Figure, article: Path):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in {"PNG", "JPEG"}:
                raise PressError(f"the image {figure.image.name} is {image.format}, "
                                 "not PNG or JPEG.", file=article, line=figure.line,
                                 field="figures.image", fix="Export it as PNG or JPEG.")
            with _whole_images_only():
                image.load()
            image = _upright(_eight_bit(image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PressError(f"the image {figure.image.name} is too large in pixels "
                         f"(more than {MAX_PIXELS:,}).", file=article, line=figure.line,
                         field="figures.image", fix="Scale it down to print size.") from None
    except Image.UnidentifiedImageError:
        raise PressError(f"the image {figure.image.name} cannot be read: it is not a PNG or "
                         "JPEG file (its content is not an image format).", file=article,
                         line=figure.line, field="figures.image",
                         fix="Export it again as PNG or JPEG.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PressError(f"the image {figure.image.name} cannot be read ({_reason(exc)}); it "
                         "is corrupt or not an image.", file=article, line=figure.line,
                         field="figures.image", fix="Export it again as PNG or JPEG.") from None
    return image


@contextlib.contextmanager
def _whole_images_only():
    """A truncated file is an error, not a picture with a grey bottom half. WeasyPrint sets
    Pillow's process-wide LOAD_TRUNCATED_IMAGES on import, so in a warm process (watch,
    serve) a cut-off PNG would otherwise pass; it is switched off while ours decode."""
    from PIL import ImageFile

    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _reason(exc: BaseException) -> str:
    """Pillow's message without the Python objects it may name (`<_io.BytesIO object at
    0x...>`: the image is decoded from memory)."""
    text = re.sub(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>", "", str(exc)).strip()
    return text or type(exc).__name__


def _eight_bit(image):
    """16-bit (and 32-bit integer) greyscale scaled to 8 bits. Pillow's own conversion of
    these modes to L or RGB clips at 255 instead of scaling, which prints nearly white."""
    if image.mode in {"I;16", "I;16L", "I;16B", "I;16N"}:
        image = image.convert("I")
    if image.mode == "I":  # PNG stores 0 to 65535: 65535 / 257 = 255
        return image.point(lambda v: v / 257).convert("L")
    return image


def _upright(image):
    """The picture as it is meant to be seen: a phone's EXIF orientation applied (the
    pixels are stored sideways), so that width, ppi and aspect ratio are the shown ones."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(image)


def _print_jpeg(image) -> bytes:
    from PIL import ImageCms

    if image.mode == "CMYK":
        return _jpeg(image, quality=92)
    profile = image.info.get("icc_profile")
    rgb = _flatten(image)
    cmyk = ImageCms.applyTransform(rgb, _to_cmyk(profile))
    return _jpeg(cmyk, quality=92)


def _email_jpeg(image, width_mm: float) -> bytes:
    from PIL import Image

    rgb = _flatten(image)
    target = round(EMAIL_PPI * width_mm / 25.4)
    if rgb.width > target:
        rgb = rgb.resize((target, round(rgb.height * target / rgb.width)), Image.Resampling.LANCZOS)
    return _jpeg(rgb, quality=80)


def _flatten(image):
    """RGB on white: figures have no transparency on paper."""
    from PIL import Image

    if image.mode == "CMYK":
        from PIL import ImageCms

        return ImageCms.applyTransform(image, _cmyk_to_srgb())
    if image.mode in {"RGBA", "LA", "P"}:
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@lru_cache(maxsize=8)
def _to_cmyk(embedded: bytes | None):
    """RGB (the file's embedded profile, else sRGB) -> the press's CMYK."""
    from PIL import ImageCms

    source = ImageCms.createProfile("sRGB")
    if embedded:
        try:
            candidate = ImageCms.ImageCmsProfile(io.BytesIO(embedded))
            if ImageCms.getProfileInfo(candidate) is not None and \
                    candidate.profile.xcolor_space.strip() == "RGB":
                source = candidate
        except (OSError, ImageCms.PyCMSError):
            pass  # a broken or non-RGB embedded profile: sRGB, as a browser would
    return ImageCms.buildTransform(
        source, ImageCms.getOpenProfile(str(CMYK_PROFILE)), "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


@lru_cache(maxsize=1)
def _cmyk_to_srgb():
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.getOpenProfile(str(CMYK_PROFILE)), ImageCms.createProfile("sRGB"),
        "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
