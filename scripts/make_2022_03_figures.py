"""Draw the figures of the sample issue issues/2022-03 (our own work, CC0): two
half-width illustrations printed side by side. Deterministic: the same bytes every run.

    .venv/bin/python scripts/make_2022_03_figures.py issues/2022-03/images

1,100 x 760 px each: 317 ppi across half the 176 mm text width of an A4 page.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1100, 760


def _sky(pen: ImageDraw.ImageDraw, top: tuple, bottom: tuple) -> None:
    for y in range(HEIGHT):
        t = y / HEIGHT
        pen.line([(0, y), (WIDTH, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))


def skyline(path: Path) -> None:
    """Chongqing at dusk: towers on the peninsula, the river in front."""
    rng = random.Random(20220301)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pen = ImageDraw.Draw(image)
    _sky(pen, (64, 92, 150), (236, 170, 120))
    x = 0
    while x < WIDTH:
        w, h = rng.randint(40, 90), rng.randint(120, 430)
        shade = rng.randint(40, 80)
        pen.rectangle([x, 560 - h, x + w, 560], fill=(shade, shade, shade + 20))
        for wy in range(560 - h + 12, 550, 22):  # lit windows
            for wx in range(x + 8, x + w - 8, 14):
                if rng.random() < 0.45:
                    pen.rectangle([wx, wy, wx + 5, wy + 8], fill=(250, 214, 120))
        x += w + rng.randint(2, 10)
    for y in range(560, HEIGHT):  # the river, darker downstream
        t = (y - 560) / (HEIGHT - 560)
        pen.line([(0, y), (WIDTH, y)], fill=(int(70 - 30 * t), int(90 - 30 * t), int(120 - 30 * t)))
    for _ in range(160):  # reflections
        rx, ry = rng.uniform(0, WIDTH), rng.uniform(565, HEIGHT)
        pen.line([(rx, ry), (rx + rng.uniform(6, 24), ry)], fill=(230, 190, 110))
    image.save(path, "PNG", optimize=True)


def lanterns(path: Path) -> None:
    """Red lanterns over a street of the old town, for the Lantern Festival."""
    rng = random.Random(20220315)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pen = ImageDraw.Draw(image)
    _sky(pen, (22, 28, 60), (70, 50, 80))
    for side, x0 in ((0, 0), (1, WIDTH - 260)):  # two rows of old houses
        pen.polygon([(x0, 300), (x0 + 130, 220), (x0 + 260, 300)], fill=(40, 36, 44))
        pen.rectangle([x0 + 10, 300, x0 + 250, HEIGHT], fill=(88, 64, 52) if side else (96, 70, 56))
    for row, y in enumerate((120, 260, 400)):
        pen.line([(0, y - 40), (WIDTH, y - 10)], fill=(20, 20, 20), width=3)
        for i in range(9 - row):
            cx = 80 + i * (WIDTH - 160) / max(8 - row, 1) + rng.uniform(-10, 10)
            cy = y - 40 + 30 * (cx / WIDTH) + 40
            r = 34 - row * 6
            pen.ellipse([cx - r, cy - r * 0.8, cx + r, cy + r * 0.8], fill=(214, 36, 40))
            pen.rectangle([cx - r * 0.4, cy - r * 0.95, cx + r * 0.4, cy - r * 0.75], fill=(230, 180, 60))
            pen.line([(cx, cy + r * 0.8), (cx, cy + r * 1.4)], fill=(230, 180, 60), width=3)
    pen.rectangle([0, HEIGHT - 90, WIDTH, HEIGHT], fill=(120, 110, 100))  # the stone street
    image.save(path, "PNG", optimize=True)


def logo(path: Path) -> None:
    """The newsletter's emblem for the masthead: a blue disc with two interlocking rings."""
    size = 600
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.ellipse((0, 0, size - 1, size - 1), fill=(24, 82, 140, 255))
    for offset in (-90, 90):
        centre = size // 2 + offset
        pen.ellipse((centre - 130, size // 2 - 130, centre + 130, size // 2 + 130),
                    outline=(255, 255, 255, 255), width=34)
    image.save(path, "PNG", optimize=True)


def cover(path: Path, source: Path) -> None:
    """The lead story's picture on the cover: the lantern street at print size (the
    drawing scaled up: flat colours scale cleanly) and cropped to a wide band."""
    image = Image.open(source).convert("RGB")
    width = 2400
    image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    band = round(width * 0.4)
    top = (image.height - band) // 3
    image.crop((0, top, width, top + band)).save(path, "PNG", optimize=True)


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    skyline(out / "riverside-skyline.png")
    lanterns(out / "lantern-street.png")
    logo(out / "logo.png")
    cover(out / "cover-lanterns.png", out / "lantern-street.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "issues/2022-03/images")
