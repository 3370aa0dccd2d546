"""Read a PDF for preflight: page boxes, colour spaces and a content-stream walker (ISO 32000-1 §7.7.3, §8, §9.4), within hard limits on decoded size and work.

What the walker records, page by page, with the graphics state in force: text shows
(their colour and render mode), fills and strokes (colour and bounds), images (their
CTM, pixel size and colour space), fonts and the transparency groups' blending spaces.
Only the operators that decide colour, placement and fonts are followed (§8.2 graphics
state, q/Q, cm; §8.6 colour; §8.7 patterns in the pattern's own space; §8.9 images, the
unit square mapped by the CTM at ``Do``; §8.10 form XObjects; §9.4 text render modes).

A hostile file cannot make the reader use unbounded memory or time: before anything is
decoded, every stream's decoded size is measured with a cap (``guard_streams``), and the
walk has a budget of operators (``WalkBudget``); both raise a ``PressError`` naming the
file and the limit.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from renderer.errors import PressError
from renderer.pdfmatrix import IDENTITY, Matrix, multiply, transform

Rect = tuple[float, float, float, float]

POINTS_PER_INCH = 72.0
MAX_NESTING = 16  # forms inside forms inside patterns: deeper is a malformed file

# Limits on hostile input. A press page's content stream is tens of kilobytes and a
# full-bleed A3 CMYK image at 300 ppi about 70 MB decoded: these leave room for both.
MAX_STREAM_BYTES = 128 * 1024 * 1024       # any one stream, decoded
MAX_CONTENT_BYTES = 16 * 1024 * 1024       # one content stream that is parsed into operators
MAX_TOTAL_DECODED_BYTES = 512 * 1024 * 1024  # all streams of the file together
MAX_OPERATORS = 2_000_000                  # content operators walked, forms re-walked included
# pikepdf parses a content stream into a list of Python objects, ~100 bytes of memory per
# byte of content: content held open at once (a page and the forms it is inside) is capped
# at this; a larger stream is not interpreted (content-streams warns) rather than parsed.
MAX_PARSED_BYTES = 1024 * 1024
_INFLATE_CHUNK = 1 << 20
# How much larger than its encoded bytes a stream can get through a filter that cannot be
# decoded piecewise here: RunLength at most 128x; LZW (12-bit codes) at most ~3,600x.
_EXPANSION_BOUND = {"/RunLengthDecode": 128, "/RL": 128, "/LZWDecode": 3641, "/LZW": 3641}
_IMAGE_CODECS = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class StreamTooLarge(Exception):
    """A stream whose decoded size would exceed a limit (internal: becomes a PressError)."""


def _filters(stream: pikepdf.Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _inflate_limited(data: bytes, limit: int, keep: bool) -> tuple[int, bytes]:
    """Inflate ``data`` without ever holding more than ``limit`` bytes; the decoded size
    (and the bytes when ``keep``). Raises StreamTooLarge past the limit."""
    inflater = zlib.decompressobj()
    size, kept = 0, []
    pending = data
    while pending or not inflater.eof:
        try:
            piece = inflater.decompress(pending, _INFLATE_CHUNK)
        except zlib.error:
            break  # damaged data: qpdf reports it; what decoded so far is what a reader gets
        pending = inflater.unconsumed_tail
        size += len(piece)
        if size > limit:
            raise StreamTooLarge(size)
        if keep:
            kept.append(piece)
        if not piece and not pending:
            break
    return size, b"".join(kept)


def decoded_size(stream: pikepdf.Stream, limit: int) -> int:
    """The stream's decoded size, measured piecewise; StreamTooLarge when over ``limit``.

    Flate, ASCIIHex and ASCII85 are decoded here with the cap (ISO 32000-1 §7.4); image
    codecs are left to the image's declared size; RunLength and LZW are bounded by
    their worst-case expansion.
    """
    filters = _filters(stream)
    data = stream.read_raw_bytes()
    if len(data) > limit:
        raise StreamTooLarge(len(data))
    for position, name in enumerate(filters):
        last = position == len(filters) - 1
        if name in ("/FlateDecode", "/Fl"):
            size, data = _inflate_limited(data, limit, keep=not last)
            if last:
                return size
        elif name in ("/ASCIIHexDecode", "/AHx"):
            text = bytes(data).split(b">", 1)[0]
            text = b"".join(text.split())
            try:
                data = binascii.unhexlify(text + b"0" * (len(text) % 2))
            except binascii.Error:
                return len(data)
        elif name in ("/ASCII85Decode", "/A85"):
            text = bytes(data).strip()
            text = text[2:] if text.startswith(b"<~") else text
            try:
                data = base64.a85decode(text.split(b"~>", 1)[0])
            except ValueError:
                return len(data)
        elif name in _EXPANSION_BOUND:
            bound = len(data) * _EXPANSION_BOUND[name]
            if bound > limit:
                raise StreamTooLarge(bound)
            return bound
        else:  # image codecs: the image dictionary says how big the samples are
            return _declared_image_size(stream, len(data), limit)
    return len(data)


def _declared_image_size(stream: pikepdf.Stream, encoded: int, limit: int) -> int:
    try:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
        bits = int(stream.get("/BitsPerComponent", 8))
    except (TypeError, ValueError):
        return encoded
    size = width * height * 4 * max(bits, 1) // 8  # up to 4 components (CMYK)
    if size > limit:
        raise StreamTooLarge(size)
    return max(size, encoded)


def _content_streams(document: pikepdf.Pdf) -> set[tuple[int, int]]:
    """Streams that the walker parses into operators: page contents, forms, tiling patterns."""
    found: set[tuple[int, int]] = set()
    for page in document.pages:
        contents = page.obj.get("/Contents")
        items = contents if isinstance(contents, pikepdf.Array) else [contents]
        found.update(item.objgen for item in items if isinstance(item, pikepdf.Stream))
    for item in document.objects:
        if isinstance(item, pikepdf.Stream) and (
                item.get("/Subtype") == "/Form" or item.get("/PatternType") is not None):
            found.add(item.objgen)
    return found


def guard_streams(document: pikepdf.Pdf, pdf: Path) -> int:
    """Refuse a file with a decompression bomb before anything decodes it (qpdf's check,
    the content parser, PDFium); returns the total decoded size of its streams."""
    content = _content_streams(document)
    total = 0
    for item in document.objects:
        if not isinstance(item, pikepdf.Stream):
            continue
        limit = MAX_CONTENT_BYTES if item.objgen in content else MAX_STREAM_BYTES
        try:
            total += decoded_size(item, limit)
        except StreamTooLarge as too_large:
            kind = "content stream" if item.objgen in content else "stream"
            raise PressError(
                f"refused: {kind} {item.objgen[0]} {item.objgen[1]} R decodes to more than "
                f"{_megabytes(limit)} (the limit for a {kind}; at least "
                f"{_megabytes(too_large.args[0])} found): a decompression bomb or a damaged "
                "file.", file=pdf,
                fix="Check where the file came from; a PDF written by make-issue never "
                    "comes near this limit.") from None
        except pikepdf.PdfError:
            continue  # unreadable: the qpdf check reports it
        if total > MAX_TOTAL_DECODED_BYTES:
            raise PressError(
                f"refused: its streams decode to more than {_megabytes(MAX_TOTAL_DECODED_BYTES)} "
                "together (the limit for one file).", file=pdf,
                fix="Split the document, or check where the file came from.")
    return total


@dataclass
class WalkBudget:
    """How many content operators one file may make the walker interpret."""

    pdf: Path
    left: int = MAX_OPERATORS

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise PressError(
                f"refused: its pages ask for more than {MAX_OPERATORS:,} content operators "
                "to be interpreted (the limit for one file; forms drawn many times count "
                "each time).", file=self.pdf,
                fix="Check where the file came from; a press issue needs a few thousand.")


def open_guarded(pdf: Path) -> pikepdf.Pdf:
    """Open ``pdf`` with pikepdf and guard its streams; PressError for a damaged or
    hostile file. A PasswordError is passed on for the caller to report."""
    try:
        document = pikepdf.open(pdf)
    except pikepdf.PasswordError:
        raise
    except pikepdf.PdfError as error:
        raise PressError(
            f"is not a readable PDF ({error}).", file=pdf,
            fix="Render it again, or repair it with a PDF tool; only readable PDFs can be "
                "checked.") from error
    try:
        guard_streams(document, pdf)
    except BaseException:
        document.close()
        raise
    return document


# ------------------------------------------------------------------ text boxes (PDFium)


@dataclass(frozen=True)
class TextBox:
    """Where PDFium says one drawn character's glyph is, in PDF user space."""

    page: int
    char: str
    rect: Rect


@dataclass
class TextPage:
    """One page's text as PDFium reads it: ``extent``, the box around all of it (the union
    of PDFium's text rectangles, ``FPDFText_GetRect``, which enclose the characters'
    boxes; None for a page without text), cheap; ``boxes()``, each character, dearer."""

    number: int
    extent: Rect | None
    _textpage: object

    def boxes(self) -> Iterator[TextBox]:
        """The tight box of every drawn character (``FPDFText_GetCharBox``), spaces and
        PDFium's generated characters left out, one at a time."""
        import pypdfium2.raw as raw

        handle = self._textpage.raw
        for index in range(self._textpage.count_chars()):
            char = chr(raw.FPDFText_GetUnicode(handle, index))
            if char.isspace() or not char.isprintable():
                continue
            if raw.FPDFText_IsGenerated(handle, index) == 1:
                continue
            left, bottom, right, top = self._textpage.get_charbox(index)
            if right - left <= 0 and top - bottom <= 0:
                continue
            yield TextBox(self.number, char, (left, bottom, right, top))


def text_pages(pdf: Path, password: str | None = None) -> Iterator[TextPage]:
    """The document's text page by page (each valid until the next is asked for), so a
    page of a million characters costs no memory. Call only on a guarded file."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(str(pdf), password=password)
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))

    def corners(textpage):
        for index in range(raw.FPDFText_CountRects(textpage.raw, 0, -1)):
            raw.FPDFText_GetRect(textpage.raw, index, left, top, right, bottom)
            yield left.value, bottom.value
            yield right.value, top.value

    try:
        for number, page in enumerate(document, start=1):
            textpage = page.get_textpage()
            yield TextPage(number, bounding_box(corners(textpage)), textpage)
            textpage.close()
            page.close()
    finally:
        document.close()


# ------------------------------------------------------------------ image samples


MAX_SAMPLE_PIXELS = 4_000_000  # larger images are averaged down before measuring


def image_picture(image: pikepdf.Object):
    """The image's pixels as a Pillow image, reduced to at most MAX_SAMPLE_PIXELS; None
    when it cannot be decoded. Call only on a guarded file."""
    try:
        picture = pikepdf.PdfImage(image).as_pil_image()
    except Exception:  # noqa: BLE001 - hostile samples fail in many ways (and Pillow's bomb guard)
        return None
    while picture.width * picture.height > MAX_SAMPLE_PIXELS:
        picture = picture.reduce(2)
    return picture


# ------------------------------------------------------------------ geometry




def bounding_box(points: Iterable[tuple[float, float]]) -> Rect | None:
    xs, ys = [], []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def overlaps(inner: Rect, outer: Rect) -> bool:
    """True when the two rectangles share some area (touching edges do not count)."""
    epsilon = 0.01
    return (inner[0] < outer[2] - epsilon and inner[2] > outer[0] + epsilon
            and inner[1] < outer[3] - epsilon and inner[3] > outer[1] + epsilon)


def page_box(page: pikepdf.Dictionary, key: str) -> Rect | None:
    """A page box, normalised to (x0, y0, x1, y1); None when the page lacks it."""
    value = page.get(key)
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def media_box(page: pikepdf.Page) -> Rect:
    # MediaBox is inheritable from the page tree (ISO 32000-1 §7.7.3.4).
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def rect_size(rect: Rect) -> tuple[float, float]:
    return (rect[2] - rect[0], rect[3] - rect[1])


# ------------------------------------------------------------------ colour spaces


@dataclass(frozen=True)
class Space:
    """A colour space reduced to what preflight needs.

    kind is one of: rgb-device (DeviceRGB, also under Indexed), rgb-calibrated
    (ICC RGB, CalRGB), cmyk (DeviceCMYK, ICC with 4 components), gray, lab,
    spot (Separation, DeviceN), pattern, other.
    """

    label: str
    kind: str
    components: int


DEVICE_SPACES = {
    "/DeviceRGB": Space("DeviceRGB", "rgb-device", 3),
    "/RGB": Space("DeviceRGB", "rgb-device", 3),
    "/DeviceCMYK": Space("DeviceCMYK", "cmyk", 4),
    "/CMYK": Space("DeviceCMYK", "cmyk", 4),
    "/DeviceGray": Space("DeviceGray", "gray", 1),
    "/G": Space("DeviceGray", "gray", 1),
    "/Pattern": Space("Pattern", "pattern", 0),
}
UNKNOWN_SPACE = Space("unknown", "other", 0)


def icc_colour_space(stream: pikepdf.Object) -> str:
    """The data colour space signature of an ICC profile (ICC.1 header bytes 16..19)."""
    try:
        header = stream.read_bytes()[:20]
    except pikepdf.PdfError:
        return ""
    return header[16:20].decode("latin-1").strip() if len(header) >= 20 else ""


class SpaceResolver:
    """Classifies colour space objects, caching the ICC profiles it has read."""

    def __init__(self) -> None:
        self._icc: dict[tuple[int, int], Space] = {}

    def resolve(self, value: pikepdf.Object | None, resources: pikepdf.Object | None,
                depth: int = 0) -> Space:
        if value is None or depth > 4:
            return UNKNOWN_SPACE
        if isinstance(value, pikepdf.Name):
            name = str(value)
            if name in DEVICE_SPACES:
                return DEVICE_SPACES[name]
            named = resource(resources, "/ColorSpace", name)
            if named is None:
                return Space(f"undefined {name}", "other", 0)
            return self.resolve(named, resources, depth + 1)
        if isinstance(value, pikepdf.Array) and len(value) > 0:
            return self._resolve_array(value, resources, depth)
        return UNKNOWN_SPACE

    def _resolve_array(self, value: pikepdf.Array, resources: pikepdf.Object | None,
                       depth: int) -> Space:
        family = str(value[0])
        if len(value) == 1:
            return self.resolve(value[0], resources, depth + 1)
        if family == "/ICCBased":
            return self._icc_based(value[1])
        if family == "/CalRGB":
            return Space("CalRGB", "rgb-calibrated", 3)
        if family == "/CalGray":
            return Space("CalGray", "gray", 1)
        if family == "/Lab":
            return Space("Lab", "lab", 3)
        if family in ("/Indexed", "/I"):
            base = self.resolve(value[1], resources, depth + 1)
            return Space(f"Indexed {base.label}", base.kind, 1)
        if family == "/Separation":
            alternate = self.resolve(value[2], resources, depth + 1) if len(value) > 2 else UNKNOWN_SPACE
            return Space(f"Separation {value[1]} (alternate {alternate.label})", "spot", 1)
        if family == "/DeviceN":
            names = " ".join(str(n) for n in value[1])
            return Space(f"DeviceN [{names}]", "spot", len(value[1]))
        if family == "/Pattern":
            return Space("Pattern", "pattern", 0)
        return Space(family.lstrip("/"), "other", 0)

    def _icc_based(self, stream: pikepdf.Object) -> Space:
        key = stream.objgen
        if key in self._icc and key != (0, 0):
            return self._icc[key]
        components = int(stream.get("/N", 0))
        signature = icc_colour_space(stream)
        kind = {1: "gray", 3: "rgb-calibrated", 4: "cmyk"}.get(components, "other")
        if signature == "Lab":
            kind = "lab"
        space = Space(f"ICCBased {signature or '?'} (N={components})", kind, components)
        self._icc[key] = space
        return space


def resource(resources: pikepdf.Object | None, category: str, name: str) -> pikepdf.Object | None:
    if resources is None:
        return None
    group = resources.get(category)
    if group is None:
        return None
    return group.get(name)


# ------------------------------------------------------------------ inventory


@dataclass(frozen=True)
class ColourUse:
    page: int
    usage: str  # text, fill, stroke, image, shading, blend
    space: Space
    values: tuple[float, ...]  # empty when the colour is not one value (images, shadings)
    outside_trim: bool  # drawn entirely outside the TrimBox: printer marks, trimmed off


@dataclass(frozen=True)
class ImagePlacement:
    page: int
    name: str
    pixels: tuple[int, int]
    placed_pt: tuple[float, float]
    space: Space
    key: tuple[int, int] | None = None  # the image XObject (None for inline images)

    @property
    def ppi(self) -> float:
        """Effective resolution: the lower of the two axes, pixels per placed inch."""
        width_in = self.placed_pt[0] / POINTS_PER_INCH
        height_in = self.placed_pt[1] / POINTS_PER_INCH
        return min(self.pixels[0] / width_in, self.pixels[1] / height_in)


@dataclass
class FontUse:
    name: str
    subtype: str
    embedded: bool
    embedding: str  # which FontFile key, or why none
    pages: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Drawn:
    """One thing the content draws: a text show, fill, stroke, image, shading, or a
    transparency group's blending space, with the CTM and colour in force."""

    page: int
    kind: str  # text, fill, stroke, image, shading, blend
    space: Space
    values: tuple[float, ...]  # the colour; empty for images and shadings
    ctm: Matrix
    bounds: Rect | None  # in page space; None when not tracked (text, shadings)
    outside_trim: bool


@dataclass
class Inventory:
    """What the content streams of all pages draw, counted by page, use and colour."""

    colours: Counter[ColourUse] = field(default_factory=Counter)
    images: list[ImagePlacement] = field(default_factory=list)
    image_objects: dict[tuple[int, int], tuple[pikepdf.Object, Space]] = field(default_factory=dict)
    image_pages: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    fonts: dict[tuple[int, int] | int, FontUse] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, drawn: Drawn) -> None:
        self.colours[ColourUse(drawn.page, drawn.kind, drawn.space, drawn.values,
                               drawn.outside_trim)] += 1


def _walk_page(document: pikepdf.Pdf, number: int, budget: WalkBudget, inventory: Inventory,
               resolver: SpaceResolver, emit: Callable[[Drawn], None]) -> None:
    page = document.pages[number - 1]
    trim = page_box(page.obj, "/TrimBox") or media_box(page)
    user_unit = float(page.obj.get("/UserUnit", 1.0))
    walker = ContentWalker(inventory, resolver, number, trim, user_unit, budget, emit)
    walker.record_group(page.obj, page.obj.get("/Resources"))
    try:
        walker.walk(page, page.obj.get("/Resources"), IDENTITY, IDENTITY, 0)
    except pikepdf.PdfError as error:
        inventory.problems.append(f"page {number}: content stream unreadable ({error})")


def walk_pages(document: pikepdf.Pdf, budget: WalkBudget,
               inventory: Inventory | None = None) -> Iterator[Drawn]:
    """Everything the pages draw, page by page, in content order (the file must have been
    guarded). Fonts, images and problems are noted in ``inventory`` on the way."""
    inventory = inventory if inventory is not None else Inventory()
    resolver = SpaceResolver()
    for number in range(1, len(document.pages) + 1):
        drawn: list[Drawn] = []
        _walk_page(document, number, budget, inventory, resolver, drawn.append)
        yield from drawn


def take_inventory(document: pikepdf.Pdf, budget: WalkBudget) -> Inventory:
    """Walk every page's content and count what is drawn (nothing is kept per drawing)."""
    inventory = Inventory()
    resolver = SpaceResolver()
    for number in range(1, len(document.pages) + 1):
        _walk_page(document, number, budget, inventory, resolver, inventory.add)
    return inventory


def _source_streams(source: pikepdf.Object | pikepdf.Page) -> list[pikepdf.Stream]:
    if isinstance(source, pikepdf.Page):
        contents = source.obj.get("/Contents")
        items = contents if isinstance(contents, pikepdf.Array) else [contents]
        return [item for item in items if isinstance(item, pikepdf.Stream)]
    return [source] if isinstance(source, pikepdf.Stream) else []


FILL_MODES = {0, 2, 4, 6}  # text render modes that fill (ISO 32000-1 table 106)
STROKE_MODES = {1, 2, 5, 6}
PATH_POINTS = {"m": 1, "l": 1, "c": 3, "v": 2, "y": 2}
FILL_PAINTS = {"f", "F", "f*", "B", "B*", "b", "b*"}
STROKE_PAINTS = {"S", "s", "B", "B*", "b", "b*"}
TEXT_SHOWS = {"Tj", "TJ", "'", '"'}


@dataclass
class Colour:
    space: Space
    values: tuple[float, ...]
    pattern: str | None = None


def initial_colour(space: Space) -> Colour:
    # ISO 32000-1 §8.6.5: the initial colour after cs is black for device spaces
    # (0 0 0 1 in DeviceCMYK) and all-zero components otherwise.
    if space.kind == "cmyk" and space.label == "DeviceCMYK":
        return Colour(space, (0.0, 0.0, 0.0, 1.0))
    return Colour(space, tuple(0.0 for _ in range(space.components)))


@dataclass
class State:
    ctm: Matrix
    fill: Colour
    stroke: Colour
    render_mode: int = 0

    def copy(self) -> State:
        return State(self.ctm, self.fill, self.stroke, self.render_mode)


class ContentWalker:
    """Interprets one page's content (and the forms and patterns it uses).

    Only the operators that decide colour, placement and fonts are followed;
    everything else is skipped, which is safe because none of it changes them.
    """

    def __init__(self, inventory: Inventory, resolver: SpaceResolver, page: int, trim: Rect,
                 user_unit: float, budget: WalkBudget,
                 emit: Callable[[Drawn], None]) -> None:
        self.inventory = inventory
        self.resolver = resolver
        self.page = page
        self.trim = trim
        self.user_unit = user_unit
        self.budget = budget
        self.emit = emit
        self.held = 0  # decoded content bytes of the streams being walked (nested forms)
        self.active: list[tuple[int, int]] = []  # forms being walked: breaks reference cycles
        self.walked_patterns: set[tuple[int, int]] = set()

    # -- recording

    def record_colour(self, usage: str, colour: Colour, bounds: Rect | None,
                      ctm: Matrix = IDENTITY) -> None:
        outside = bounds is not None and not overlaps(bounds, self.trim)
        self.emit(Drawn(self.page, usage, colour.space, colour.values, ctm, bounds, outside))

    def record_group(self, owner: pikepdf.Object, resources: pikepdf.Object | None) -> None:
        """A transparency group's blending colour space (ISO 32000-1 §11.6.6)."""
        group = owner.get("/Group")
        if group is not None and group.get("/CS") is not None:
            space = self.resolver.resolve(group.CS, resources)
            self.emit(Drawn(self.page, "blend", space, (), IDENTITY, None, False))

    # -- walking

    def walk(self, source: pikepdf.Object | pikepdf.Page, resources: pikepdf.Object | None,
             ctm: Matrix, base: Matrix, depth: int) -> None:
        """Interpret ``source``; ``base`` maps its default space to the page (for patterns)."""
        size = 0
        try:
            for stream in _source_streams(source):
                size += decoded_size(stream, MAX_PARSED_BYTES - self.held - size)
        except StreamTooLarge:
            self._problem(f"content of more than {_megabytes(MAX_PARSED_BYTES)} (with the "
                          "forms it is inside) was not interpreted: too large to check here")
            return
        self.held += size
        try:
            self._walk_instructions(source, resources, ctm, base, depth)
        finally:
            self.held -= size

    def _walk_instructions(self, source: pikepdf.Object | pikepdf.Page,
                           resources: pikepdf.Object | None, ctm: Matrix, base: Matrix,
                           depth: int) -> None:
        black = initial_colour(DEVICE_SPACES["/DeviceGray"])
        state = State(ctm, black, black)
        stack: list[State] = []
        path: list[tuple[float, float]] = []
        instructions = pikepdf.parse_content_stream(source)
        self.budget.spend(len(instructions))
        for instruction in instructions:
            operator = str(instruction.operator)
            operands = instruction.operands
            try:
                state, path = self._step(operator, operands, state, stack, path, resources,
                                         base, depth)
            except (TypeError, ValueError, IndexError, AttributeError) as error:
                # Operands of the wrong type or number: a damaged stream. Skip the operator.
                self._problem(f"operator {operator} with bad operands ({error})")

    def _problem(self, text: str) -> None:
        line = f"page {self.page}: {text}"
        if line not in self.inventory.problems and len(self.inventory.problems) < 1000:
            self.inventory.problems.append(line)

    def _step(self, operator: str, operands: list, state: State, stack: list[State],
              path: list[tuple[float, float]], resources: pikepdf.Object | None, base: Matrix,
              depth: int) -> tuple[State, list[tuple[float, float]]]:
        if operator == "q":
            stack.append(state.copy())
        elif operator == "Q":
            if stack:
                state = stack.pop()
        elif operator == "cm" and len(operands) == 6:
            state.ctm = multiply(tuple(float(v) for v in operands), state.ctm)
        elif operator in PATH_POINTS or operator == "re":
            path.extend(self._path_points(operator, operands, state.ctm))
        elif operator in FILL_PAINTS or operator in STROKE_PAINTS or operator == "n":
            self._paint(operator, path, state, resources, base, depth)
            path = []
        elif operator in {"cs", "CS", "sc", "scn", "SC", "SCN", "g", "G", "rg", "RG", "k", "K"}:
            self._set_colour(operator, operands, state, resources)
        elif operator == "Tr" and operands:
            state.render_mode = int(operands[0])
        elif operator == "Tf" and operands:
            self._use_font(str(operands[0]), resources)
        elif operator in TEXT_SHOWS:
            self._show_text(state, resources, base, depth)
        elif operator == "Do" and operands:
            self._do(str(operands[0]), state, resources, depth)
        elif operator == "sh" and operands:
            self._shading(resource(resources, "/Shading", str(operands[0])), resources)
        elif operator == "INLINE IMAGE":
            self._inline_image(operands[0], state, resources)
        return state, path

    def _path_points(self, operator: str, operands: list, ctm: Matrix) -> list[tuple[float, float]]:
        numbers = [float(v) for v in operands]
        if operator == "re" and len(numbers) == 4:
            x, y, width, height = numbers
            corners = [(x, y), (x + width, y), (x, y + height), (x + width, y + height)]
            return [transform(ctm, px, py) for px, py in corners]
        pairs = zip(numbers[0::2], numbers[1::2])
        return [transform(ctm, px, py) for px, py in pairs]

    def _paint(self, operator: str, path: list[tuple[float, float]], state: State,
               resources: pikepdf.Object | None, base: Matrix, depth: int) -> None:
        bounds = bounding_box(path)
        if operator in FILL_PAINTS:
            self.record_colour("fill", state.fill, bounds, state.ctm)
            self._pattern(state.fill, resources, base, depth)
        if operator in STROKE_PAINTS:
            self.record_colour("stroke", state.stroke, bounds, state.ctm)
            self._pattern(state.stroke, resources, base, depth)

    def _set_colour(self, operator: str, operands: list, state: State,
                    resources: pikepdf.Object | None) -> None:
        stroke = operator.isupper()
        lowered = operator.lower()
        if lowered == "cs":
            space = self.resolver.resolve(operands[0] if operands else None, resources)
            colour = initial_colour(space)
        elif lowered in ("g", "rg", "k"):
            space = DEVICE_SPACES[{"g": "/DeviceGray", "rg": "/DeviceRGB", "k": "/DeviceCMYK"}[lowered]]
            colour = Colour(space, tuple(float(v) for v in operands))
        else:  # sc / scn: new values in the current space, maybe a pattern name last
            current = state.stroke if stroke else state.fill
            pattern = str(operands[-1]) if operands and isinstance(operands[-1], pikepdf.Name) else None
            values = tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
            colour = Colour(current.space, values, pattern)
        if stroke:
            state.stroke = colour
        else:
            state.fill = colour

    def _show_text(self, state: State, resources: pikepdf.Object | None, base: Matrix,
                   depth: int) -> None:
        # Text position is not tracked: text counts as inside the trim, the strict choice.
        if state.render_mode in FILL_MODES:
            self.record_colour("text", state.fill, None, state.ctm)
            self._pattern(state.fill, resources, base, depth)
        if state.render_mode in STROKE_MODES:
            self.record_colour("text", state.stroke, None, state.ctm)
            self._pattern(state.stroke, resources, base, depth)

    def _use_font(self, name: str, resources: pikepdf.Object | None) -> None:
        font = resource(resources, "/Font", name)
        if font is None:
            self.inventory.problems.append(f"page {self.page}: font {name} is used but not defined")
            return
        key = font.objgen if font.objgen != (0, 0) else id(font)
        use = self.inventory.fonts.get(key)
        if use is None:
            use = self.inventory.fonts[key] = describe_font(font)
        use.pages.add(self.page)

    def _do(self, name: str, state: State, resources: pikepdf.Object | None, depth: int) -> None:
        xobject = resource(resources, "/XObject", name)
        if xobject is None:
            self.inventory.problems.append(f"page {self.page}: XObject {name} is used but not defined")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(name, xobject, state, resources)
        elif subtype == "/Form":
            self._form(xobject, state, resources, depth)

    def _form(self, form: pikepdf.Object, state: State, resources: pikepdf.Object | None,
              depth: int) -> None:
        key = form.objgen
        if depth >= MAX_NESTING or key in self.active:
            self.inventory.problems.append(f"page {self.page}: form XObjects nest too deep or in a cycle")
            return
        matrix = tuple(float(v) for v in form.get("/Matrix", IDENTITY))
        ctm = multiply(matrix, state.ctm)
        # A form without its own resources uses its parent's (ISO 32000-1 §7.8.3).
        form_resources = form.get("/Resources", resources)
        self.record_group(form, form_resources)
        self.active.append(key)
        try:
            self.walk(form, form_resources, ctm, ctm, depth + 1)
        finally:
            self.active.pop()

    def _image(self, name: str, image: pikepdf.Object, state: State,
               resources: pikepdf.Object | None) -> None:
        corners = [transform(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        bounds = bounding_box(corners)
        if image.get("/ImageMask", False):
            # A stencil mask paints the current fill colour through its 1-bit shape.
            self.record_colour("fill", state.fill, bounds, state.ctm)
            return
        space = self._image_space(image, resources)
        self.record_colour("image", Colour(space, ()), bounds, state.ctm)
        self.inventory.image_objects.setdefault(image.objgen, (image, space))
        self.inventory.image_pages[image.objgen].add(self.page)
        self._placement(name, int(image.get("/Width", 0)), int(image.get("/Height", 0)), space,
                        state.ctm, image.objgen)

    def _image_space(self, image: pikepdf.Object, resources: pikepdf.Object | None) -> Space:
        if image.get("/ColorSpace") is None:
            # JPEG 2000 may carry its colour space inside the codestream.
            return Space("embedded in JPXDecode", "other", 0)
        return self.resolver.resolve(image.ColorSpace, resources)

    def _inline_image(self, inline: pikepdf.PdfInlineImage, state: State,
                      resources: pikepdf.Object | None) -> None:
        corners = [transform(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        bounds = bounding_box(corners)
        dictionary = inline.obj
        if dictionary.get("/ImageMask", False):
            self.record_colour("fill", state.fill, bounds, state.ctm)
            return
        space = self.resolver.resolve(dictionary.get("/ColorSpace"), resources)
        self.record_colour("image", Colour(space, ()), bounds, state.ctm)
        self._placement("inline image", int(dictionary.get("/Width", 0)),
                        int(dictionary.get("/Height", 0)), space, state.ctm)

    def _placement(self, name: str, width: int, height: int, space: Space, ctm: Matrix,
                   key: tuple[int, int] | None = None) -> None:
        # The image fills the unit square, so the CTM's column vectors are its
        # placed edges (ISO 32000-1 §8.9.4); UserUnit scales user space units.
        a, b, c, d, _, _ = ctm
        placed = (math.hypot(a, b) * self.user_unit, math.hypot(c, d) * self.user_unit)
        if width <= 0 or height <= 0 or min(placed) < 1e-6:
            return
        self.inventory.images.append(ImagePlacement(self.page, name, (width, height), placed, space,
                                                    key))

    def _pattern(self, colour: Colour, resources: pikepdf.Object | None, base: Matrix,
                 depth: int) -> None:
        if colour.space.kind != "pattern" or colour.pattern is None:
            return
        pattern = resource(resources, "/Pattern", colour.pattern)
        if pattern is None or pattern.objgen in self.walked_patterns:
            return
        self.walked_patterns.add(pattern.objgen)
        # Pattern space is the pattern matrix applied to the default space of
        # the stream that paints with it, not to the current CTM (§8.7.2).
        matrix = multiply(tuple(float(v) for v in pattern.get("/Matrix", IDENTITY)), base)
        if int(pattern.get("/PatternType", 0)) == 2:
            self._shading(pattern.get("/Shading"), resources)
        elif depth < MAX_NESTING:
            pattern_resources = pattern.get("/Resources", resources)
            self.walk(pattern, pattern_resources, matrix, matrix, depth + 1)

    def _shading(self, shading: pikepdf.Object | None, resources: pikepdf.Object | None) -> None:
        # Its extent is the clip, which is not tracked: counted as inside the trim.
        if shading is None:
            return
        space = self.resolver.resolve(shading.get("/ColorSpace"), resources)
        self.record_colour("shading", Colour(space, ()), None)


def describe_font(font: pikepdf.Object) -> FontUse:
    subtype = str(font.get("/Subtype", "/?")).lstrip("/")
    name = str(font.get("/BaseFont", font.get("/Name", "(unnamed)"))).lstrip("/")
    if subtype == "Type3":
        return FontUse(name, subtype, True, "glyphs drawn by content streams")
    holder = font
    if subtype == "Type0":
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return FontUse(name, subtype, False, "no descendant font")
        holder = descendants[0]
        subtype = f"Type0/{str(holder.get('/Subtype', '/?')).lstrip('/')}"
    descriptor = holder.get("/FontDescriptor")
    if descriptor is None:
        return FontUse(name, subtype, False, "no font descriptor (referenced by name only)")
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if descriptor.get(key) is not None:
            return FontUse(name, subtype, True, key.lstrip("/"))
    return FontUse(name, subtype, False, "descriptor has no FontFile/FontFile2/FontFile3")


def xmp_values(document: pikepdf.Pdf, local_name: str) -> list[str]:
    """Every value of an XMP property with this local name, element or attribute form."""
    metadata = document.Root.get("/Metadata")
    if metadata is None:
        return []
    from lxml import etree  # a pikepdf dependency

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(metadata.read_bytes(), parser)
    except (etree.XMLSyntaxError, pikepdf.PdfError, ValueError):
        return []
    if root is None:
        return []
    values = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname == local_name and element.text:
            values.append(element.text.strip())
        for attribute, value in element.attrib.items():
            if etree.QName(attribute).localname == local_name:
                values.append(value.strip())
    return values
