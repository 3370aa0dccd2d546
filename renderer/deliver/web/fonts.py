"""The bundled fonts for the web edition: each face cut down to the characters the page
uses, with HarfBuzz's subsetter (hb-subset, a few milliseconds a face).

The faces are those of renderer.prepare.fonts (fonts/, OFL): the page sets the same
families as the PDFs. A browser downloads only the faces a page uses, and of each only
the subset: some 100 KB for a Chinese face instead of 2.6 MB. Every OpenType layout
feature is kept (halt/palt for punctuation, kern, liga). HarfBuzz is reached through
ctypes (libharfbuzz-subset0, which scripts/setup.sh installs for WeasyPrint anyway);
without it, fontTools does the same work, about a hundred times slower.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
from pathlib import Path

from renderer.errors import PressError
from renderer.prepare.fonts import FACES, Face

LICENCES = ("OFL-Noto.txt", "OFL-NotoCJK.txt")
_FORMATS = {".otf": "opentype", ".ttf": "truetype"}
_HB_MEMORY_MODE_READONLY = 1
_HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6

_subsets: dict[tuple[str, str], bytes] = {}


def subset_faces(text: str) -> dict[str, bytes]:
    """Every face (file name -> font program) subset to the characters of `text`."""
    wanted = "".join(sorted(set(text)))
    return {face.file: _subset(face, wanted) for face in FACES}


def font_face_css(folder: str = "fonts/") -> str:
    """`@font-face` rules for the subset files under `folder` (relative to the CSS)."""
    return "\n".join(
        "@font-face {"
        f' font-family: "{face.family}";'
        f' src: url("{folder}{face.file}") format("{_FORMATS[Path(face.file).suffix]}");'
        f" font-weight: {face.weight}; font-style: {face.style}; font-display: swap; }}"
        for face in FACES)


def _subset(face: Face, text: str) -> bytes:
    """Remembered by face and text: a watch-mode rebuild or a site build asks again."""
    key = (face.file, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    if key not in _subsets:
        if len(_subsets) > 64:
            _subsets.clear()
        data = face.path.read_bytes()
        codepoints = sorted({ord(c) for c in text})
        library = _harfbuzz()
        _subsets[key] = (_hb_subset(library, data, codepoints) if library
                         else _fonttools_subset(data, codepoints))
    return _subsets[key]


@functools.cache
def _harfbuzz():
    try:
        hb = ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return None
    p, uint = ctypes.c_void_p, ctypes.c_uint
    signatures = {
        "hb_blob_create": (p, [ctypes.c_char_p, uint, ctypes.c_int, p, p]),
        "hb_blob_get_data": (ctypes.POINTER(ctypes.c_char), [p, ctypes.POINTER(uint)]),
        "hb_blob_destroy": (None, [p]),
        "hb_face_create": (p, [p, uint]),
        "hb_face_reference_blob": (p, [p]),
        "hb_face_destroy": (None, [p]),
        "hb_subset_input_create_or_fail": (p, []),
        "hb_subset_input_unicode_set": (p, [p]),
        "hb_subset_input_set": (p, [p, ctypes.c_int]),
        "hb_subset_input_destroy": (None, [p]),
        "hb_subset_or_fail": (p, [p, p]),
        "hb_set_add": (None, [p, ctypes.c_uint32]),
        "hb_set_clear": (None, [p]),
        "hb_set_invert": (None, [p]),
    }
    try:
        for name, (restype, argtypes) in signatures.items():
            function = getattr(hb, name)
            function.restype, function.argtypes = restype, argtypes
    except AttributeError:  # a HarfBuzz older than 2.9
        return None
    return hb


def _hb_subset(hb, data: bytes, codepoints: list[int]) -> bytes:
    blob = hb.hb_blob_create(data, len(data), _HB_MEMORY_MODE_READONLY, None, None)
    face = hb.hb_face_create(blob, 0)
    request = hb.hb_subset_input_create_or_fail()
    subset = out_blob = None
    try:
        if not request:
            raise MemoryError("hb_subset_input_create_or_fail")
        unicodes = hb.hb_subset_input_unicode_set(request)
        for codepoint in codepoints:
            hb.hb_set_add(unicodes, codepoint)
        features = hb.hb_subset_input_set(request, _HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)
        hb.hb_set_invert(features)  # the empty set inverted: every feature
        subset = hb.hb_subset_or_fail(face, request)
        if not subset:
            raise PressError("HarfBuzz could not subset a bundled font for the web edition.",
                             fix="This is a bug in the press or the fonts; report it.")
        out_blob = hb.hb_face_reference_blob(subset)
        length = ctypes.c_uint()
        pointer = hb.hb_blob_get_data(out_blob, ctypes.byref(length))
        return ctypes.string_at(pointer, length.value)
    finally:
        if out_blob:
            hb.hb_blob_destroy(out_blob)
        if subset:
            hb.hb_face_destroy(subset)
        if request:
            hb.hb_subset_input_destroy(request)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _fonttools_subset(data: bytes, codepoints: list[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(io.BytesIO(data))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
