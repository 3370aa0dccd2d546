"""Overprint as drawn: which text shows are 100 % K, whether they overprint, and whether
they sit on a tint (ISO 32000-1 §8.6.7 overprint control, §11.7.4 overprint with
transparency; print-shop practice: black text overprints, white never does).

A small content-stream walker of its own (q/Q, cm, colour, ExtGState /OP /op /OPM, text
position, forms), independent of the finishing pass that sets the overprint, so that the
check is not the code it checks. A "tint" is any earlier fill with ink (a vector fill of
any CMYK, grey or RGB that is not white, or an image) whose box holds the text's origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pikepdf

from renderer.pdfmatrix import multiply, transform
from renderer.verify.preflight.reader import MAX_PARSED_BYTES, StreamTooLarge, decoded_size

K_TOLERANCE = 0.005
MAX_FORM_DEPTH = 12
_SHOWS = {"Tj", "TJ", "'", '"'}
_FILLS = {"f", "F", "f*", "B", "B*", "b", "b*"}
_PAINTS = _FILLS | {"S", "s", "n"}
_BUILD = {"m", "l", "c", "v", "y", "re", "h"}


@dataclass
class PageOverprint:
    page: int
    k_text_overprints: int = 0
    k_text_knocks_out_on_tint: int = 0
    k_text_knocks_out_on_paper: int = 0
    white_overprints: int = 0
    unread: int = 0  # content streams too large to interpret (the content-streams check says so)
    first_knockout: tuple[float, float] | None = None  # point, in pt from the page's bottom left


@dataclass
class _State:
    fill: tuple[float, ...] | None = (0.0,)
    fill_space: str = "/DeviceGray"
    op: bool = False
    opm: int = 0
    ctm: tuple[float, ...] = (1, 0, 0, 1, 0, 0)

    def copy(self) -> _State:
        return _State(self.fill, self.fill_space, self.op, self.opm, self.ctm)


@dataclass
class _Walk:
    result: PageOverprint
    tints: list[tuple[float, float, float, float]] = field(default_factory=list)


def _solid_k(state: _State) -> bool:
    values = state.fill
    if state.fill_space == "/DeviceGray" and values and len(values) == 1:
        return False  # grey is not a process plate here: the press writes CMYK
    return (state.fill_space == "/DeviceCMYK" and values is not None and len(values) == 4
            and all(abs(a - b) <= K_TOLERANCE for a, b in zip(values, (0, 0, 0, 1))))


def _white(state: _State) -> bool:
    values = state.fill
    if values is None:
        return False
    if state.fill_space == "/DeviceCMYK" and len(values) == 4:
        return all(v <= K_TOLERANCE for v in values)
    if state.fill_space == "/DeviceGray" and len(values) == 1:
        return values[0] >= 1 - K_TOLERANCE
    return False


def _has_ink(state: _State) -> bool:
    return state.fill is None or not _white(state)


def page_overprint(page: pikepdf.Page, number: int) -> PageOverprint:
    walk = _Walk(PageOverprint(number))
    _walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State(), walk, 0)
    return walk.result


def _too_large(holder) -> bool:
    contents = holder if isinstance(holder, pikepdf.Stream) else holder.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    left = MAX_PARSED_BYTES
    try:
        for stream in streams:
            if isinstance(stream, pikepdf.Stream):
                left -= decoded_size(stream, left)
    except StreamTooLarge:
        return True
    return left < 0


def _walk(holder, resources, state: _State, walk: _Walk, depth: int) -> None:
    if depth > MAX_FORM_DEPTH:
        return
    if _too_large(holder):
        walk.result.unread += 1
        return
    stack: list[_State] = []
    states = resources.get("/ExtGState", {})
    xobjects = resources.get("/XObject", {})
    path: list[tuple[float, float]] = []
    text_matrix = line_matrix = (1, 0, 0, 1, 0, 0)
    for operands, operator in pikepdf.parse_content_stream(holder):
        op = str(operator)
        if op == "q":
            stack.append(state.copy())
        elif op == "Q" and stack:
            state = stack.pop()
        elif op == "cm":
            state.ctm = multiply(tuple(float(v) for v in operands), state.ctm)
        elif op == "gs" and operands:
            extgstate = states.get(str(operands[0]))
            if extgstate is not None:
                if "/op" in extgstate or "/OP" in extgstate:
                    state.op = bool(extgstate.get("/op", extgstate.get("/OP")))
                if "/OPM" in extgstate:
                    state.opm = int(extgstate.OPM)
        elif op == "cs":
            state.fill_space, state.fill = str(operands[0]), None
        elif op in ("sc", "scn"):
            values = tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
            state.fill = values if state.fill_space in ("/DeviceCMYK", "/DeviceGray",
                                                         "/DeviceRGB") else None
        elif op in ("k", "g", "rg"):
            state.fill_space = {"k": "/DeviceCMYK", "g": "/DeviceGray", "rg": "/DeviceRGB"}[op]
            state.fill = tuple(float(v) for v in operands)
        elif op == "BT":
            text_matrix = line_matrix = (1, 0, 0, 1, 0, 0)
        elif op == "Tm":
            text_matrix = line_matrix = tuple(float(v) for v in operands)
        elif op in ("Td", "TD"):
            tx, ty = (float(v) for v in operands)
            text_matrix = line_matrix = multiply((1, 0, 0, 1, tx, ty), line_matrix)
        elif op in _SHOWS:
            _text_show(state, transform(multiply(text_matrix, state.ctm), 0, 0), walk)
        elif op in _BUILD:
            values = [float(v) for v in operands]
            if op == "re":
                x, y, w, h = values
                path += [transform(state.ctm, x, y), transform(state.ctm, x + w, y + h)]
            else:
                path += [transform(state.ctm, x, y) for x, y in zip(values[::2], values[1::2])]
        elif op in _PAINTS:
            if op in _FILLS and path and _has_ink(state):
                xs, ys = [p[0] for p in path], [p[1] for p in path]
                walk.tints.append((min(xs), min(ys), max(xs), max(ys)))
            if op in _FILLS and _white(state) and state.op:
                walk.result.white_overprints += 1
            path = []
        elif op == "Do" and operands:
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == "/Image":
                corners = [transform(state.ctm, x, y) for x, y in ((0, 0), (1, 1), (0, 1), (1, 0))]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                walk.tints.append((min(xs), min(ys), max(xs), max(ys)))
            elif xobject.get("/Subtype") == "/Form":
                inner = state.copy()
                matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                inner.ctm = multiply(matrix, state.ctm)
                _walk(xobject, xobject.get("/Resources", resources), inner, walk, depth + 1)


def _text_show(state: _State, origin: tuple[float, float], walk: _Walk) -> None:
    result = walk.result
    if _white(state) and state.op:
        result.white_overprints += 1
        return
    if not _solid_k(state):
        return
    if state.op and state.opm == 1:
        result.k_text_overprints += 1
        return
    x, y = origin
    if any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in walk.tints):
        result.k_text_knocks_out_on_tint += 1
        result.first_knockout = result.first_knockout or (round(x, 1), round(y, 1))
    else:
        result.k_text_knocks_out_on_paper += 1
