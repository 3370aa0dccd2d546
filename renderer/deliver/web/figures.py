"""Figures for the web edition: each source image resized to a few widths for `srcset`.

The prepared figures carry the PDFs' images as data: URLs; the web edition goes back to
the source file (model.Figure.image, inside the issue folder: the only files it reads)
and makes sRGB JPEGs at the widths a browser picks from, never wider than the source.
Decoding goes through the prepare stage's reader, so the same checks apply (format,
pixel limit, 16-bit greyscale, EXIF orientation).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from renderer.model import Article, Figure, PreparedArticle, PreparedFigure

WIDTHS = (480, 960, 1440, 1920)  # CSS px 360-960 at 1x to 2x
DEFAULT_WIDTH = 960  # `src` for browsers without srcset
JPEG_QUALITY = 78


@dataclass(frozen=True)
class WebImage:
    name: str  # file name inside images/
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class WebFigure:
    prepared: PreparedFigure
    images: tuple[WebImage, ...]  # narrowest first

    @property
    def src(self) -> str:
        fitting = [i for i in self.images if i.width <= DEFAULT_WIDTH] or self.images[:1]
        return "images/" + fitting[-1].name

    @property
    def srcset(self) -> str:
        return ", ".join(f"images/{i.name} {i.width}w" for i in self.images)

    @property
    def width(self) -> int:
        return self.images[-1].width

    @property
    def height(self) -> int:
        return self.images[-1].height


def placed_figures(prepared: PreparedArticle) -> list:
    """Every prepared figure in reading order (a row may hold two side by side)."""
    return [figure for block in prepared.blocks
            for figure in (block.figures or ((block.figure,) if block.figure else ()))]


def sources(article: Article, prepared: PreparedArticle) -> list[Figure]:
    """The source figure of each prepared figure, in the prepared (reading) order: the
    prepare stage places a figure after min(after, rows) rows, keeping file order."""
    rows = sum(1 for block in prepared.blocks if block.row is not None)
    ordered = sorted(article.figures, key=lambda f: min(f.after, rows))
    placed = placed_figures(prepared)
    if len(ordered) != len(placed) or any(f.alt != p.alt for f, p in zip(ordered, placed)):
        raise RuntimeError(f"the figures of {article.path} do not match their prepared form")
    return ordered


def web_figure(figure: Figure, prepared: PreparedFigure, article: Article) -> WebFigure:
    from renderer.prepare import images

    data = figure.image.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _resized:
        if len(_resized) > 32:
            _resized.clear()
        picture = images._flatten(images._decode(data, figure, article.path))
        stem = re.sub(r"[^a-z0-9-]+", "-", figure.image.stem.lower()).strip("-") or "figure"
        stem = f"{stem}-{digest[:8]}"
        widths = [w for w in WIDTHS if w < picture.width]
        if picture.width < WIDTHS[-1]:
            widths.append(picture.width)
        made = []
        for width in reversed(widths):  # each from the one above: less work, same result
            made.append(_resize(picture, stem, width))
            picture = made[-1].picture
        _resized[digest] = tuple(WebImage(i.name, i.width, i.height, i.data)
                                 for i in reversed(made))
    return WebFigure(prepared=prepared, images=_resized[digest])


_resized: dict[str, tuple[WebImage, ...]] = {}


@dataclass(frozen=True)
class _Made(WebImage):
    picture: object = None


def _resize(picture, stem: str, width: int) -> _Made:
    from PIL import Image

    height = round(picture.height * width / picture.width)
    resized = (picture if width == picture.width
               else picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0))
    out = io.BytesIO()
    resized.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return _Made(name=f"{stem}-{width}.jpg", width=width, height=height, data=out.getvalue(),
                 picture=resized)
