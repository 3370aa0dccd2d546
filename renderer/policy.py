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

# Trim sizes, portrait, in millimetres (ISO 216 A4; US Letter 8.5 x 11 in).
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
DEFAULT_PAGE_SIZE = "A4"
POINTS_PER_MM = 72 / 25.4

SADDLE_STITCH_MULTIPLE = 4  # pages of a saddle-stitched booklet: folded sheets of 4
BINDINGS = ("none", "saddle-stitch")

DEFAULT_BLEED_MM = 3.0
MAX_BLEED_MM = 10.0  # print shops ask for 3 to 5

DEFAULT_INK_LIMIT = 300  # total area coverage, percent (FOGRA39 sheetfed coated: 300-340)
INK_LIMIT_RANGE = (200, 400)

PRINT_MIN_PPI = 200  # below this an image prints visibly soft: an error
PRINT_GOOD_PPI = 300  # sheetfed norm at placed size: below it, a warning
EMAIL_PPI = 150  # screen images are downsampled to this at placed size

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
