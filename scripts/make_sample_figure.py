"""Draw the sample issue's figure: an illustration of the friendship grove (our own work,
CC0, so the project may redistribute it). Deterministic: the same bytes every run.

    .venv/bin/python scripts/make_sample_figure.py issues/2022-02/images/friendship-grove.png

2,100 x 860 px: 303 ppi across the 176 mm text width of an A4 page.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 2100, 860
BLOSSOMS = [(233, 150, 180), (246, 196, 210), (250, 236, 240), (214, 112, 150)]  # myrtle, crab apple, plum
LEAVES = [(92, 148, 84), (120, 170, 96), (70, 122, 74)]


def draw(path: Path) -> None:
    rng = random.Random(20220222)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pen = ImageDraw.Draw(image)
    for y in range(HEIGHT):  # spring sky, lighter towards the hills
        t = y / HEIGHT
        pen.line([(0, y), (WIDTH, y)], fill=(int(170 + 70 * t), int(205 + 40 * t), int(235 + 15 * t)))
    for base, colour in ((560, (150, 190, 130)), (640, (118, 168, 104)), (720, (96, 146, 88))):
        points = [(x, base - 70 * _wave(x, rng.random() * 6.28, rng.uniform(300, 700)))
                  for x in range(0, WIDTH + 50, 50)]
        pen.polygon([(0, HEIGHT), *points, (WIDTH, HEIGHT)], fill=colour)
    for _ in range(40):  # nearly 40 trees, as in the article
        x, ground = rng.uniform(60, WIDTH - 60), rng.uniform(600, 820)
        _tree(pen, rng, x, ground, scale=0.6 + (ground - 600) / 260)
    image.save(path, "PNG", optimize=True)


def _wave(x: float, phase: float, length: float) -> float:
    import math

    return 0.5 + 0.5 * math.sin(x / length * 6.283 + phase)


def _tree(pen: ImageDraw.ImageDraw, rng: random.Random, x: float, ground: float,
          scale: float) -> None:
    trunk_height, crown = 70 * scale, 48 * scale
    pen.rectangle([x - 5 * scale, ground - trunk_height, x + 5 * scale, ground], fill=(110, 80, 60))
    colours = BLOSSOMS if rng.random() < 0.6 else LEAVES
    for _ in range(14):
        dx, dy = rng.gauss(0, crown * 0.55), rng.gauss(0, crown * 0.4)
        r = rng.uniform(0.35, 0.6) * crown
        cx, cy = x + dx, ground - trunk_height - crown * 0.5 + dy
        pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=rng.choice(colours))


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    draw(target)
    print(f"{target}: {target.stat().st_size / 1024:.0f} KB")
