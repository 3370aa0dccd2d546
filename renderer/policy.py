"""The press's policy numbers, each defined once: editions, page sizes, bleed, ink, ppi.

Every stage that needs one of these imports it from here, so the loader's limits, the
stylesheets' geometry, the figure conversion and the preflight can never disagree.
Print-shop figures follow ISO 12647-2 / FOGRA39 practice (see docs/ for the sources).
"""

from __future__ import annotations

EDITIONS = ("print", "email")  # the PDF editions (typeset, preflighted)
# What `make-issue build` writes by default: the PDF editions and the web edition (an HTML
# folder, renderer.deliver.web: no typesetting, no preflight).
OUTPUTS = (*EDITIONS, "web")

# Trim sizes, portrait, in millimetres (ISO 216 A5, A4; US Letter 8.5 x 11 in). A custom
# size is written "<width>x<height>mm" (the manifest's `page_size: {width_mm, height_mm}`).
PAGE_SIZES_MM = {"A5": (148.0, 210.0), "A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
DEFAULT_PAGE_SIZE = "A4"
CUSTOM_PAGE_MM = (105.0, 500.0)  # smallest and largest side of a custom size (A6 .. 50 cm)


def custom_page_size(width_mm: float, height_mm: float) -> str:
    return f"{width_mm:g}x{height_mm:g}mm"


def page_size_mm(page_size: str) -> tuple[float, float]:
    """Width and height of a named ("A5", case-insensitive) or custom ("170x240mm") size;
    ValueError for anything else."""
    for name, size in PAGE_SIZES_MM.items():
        if name.upper() == page_size.upper():
            return size
    parts = page_size.lower().removesuffix("mm").split("x")
    try:
        width, height = (float(part) for part in parts)
    except ValueError:
        raise ValueError(f"unknown page size {page_size!r}") from None
    low, high = CUSTOM_PAGE_MM
    if not (low <= width <= high and low <= height <= high):
        raise ValueError(f"page size {page_size!r} outside {low:g}-{high:g} mm")
    return width, height
POINTS_PER_MM = 72 / 25.4

SADDLE_STITCH_MULTIPLE = 4  # pages of a saddle-stitched booklet: folded sheets of 4
BINDINGS = ("saddle-stitch", "perfect", "loose")
BINDING_ALIASES = {"none": "loose"}  # the manifest's older word for loose sheets
# The page count each binding needs a multiple of (None: any count).
BINDING_PAGE_MULTIPLE = {"saddle-stitch": SADDLE_STITCH_MULTIPLE, "perfect": 2, "loose": None}

# Press sheets for imposition, portrait, in millimetres (ISO 216 A3/A4, ISO 217 SRA3,
# ANSI B "tabloid" for two Letter pages).
PRESS_SHEETS_MM = {"A3": (297.0, 420.0), "SRA3": (320.0, 450.0), "A4": (210.0, 297.0),
                   "Tabloid": (279.4, 431.8)}
DEFAULT_PRESS_SHEET = {"A4": "A3", "Letter": "Tabloid", "A5": "A4"}  # by trim size
CROP_MARK_MM = 5.0  # length of an imposed sheet's crop marks, drawn outside the bleed

DEFAULT_BLEED_MM = 3.0
MAX_BLEED_MM = 10.0  # print shops ask for 3 to 5

DEFAULT_INK_LIMIT = 300  # total area coverage, percent (FOGRA39 sheetfed coated: 300-340)
INK_LIMIT_RANGE = (200, 400)

PRINT_MIN_PPI = 200  # below this an image prints visibly soft: an error
PRINT_GOOD_PPI = 300  # sheetfed norm at placed size: below it, a warning
EMAIL_PPI = 150  # screen images are downsampled to this at placed size
# Added space between two Han characters (em) that starts to show: the typesetter's
# line breaking avoids it, the audit reports a line with more (issue 20).
LOOSE_EM = 0.15

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
