"""Embedded CJK fonts as compact CID-keyed CFF (``FontFile3 /CIDFontType0C``).

WeasyPrint 70 subsets a CFF font with HarfBuzz keeping the glyph IDs
(``HB_SUBSET_FLAGS_RETAIN_GIDS``): its content streams show glyph IDs, so a subset
must keep every glyph at its place. Our Chinese fonts hold about 7,700 glyphs; a page
uses a few hundred, yet each embedded font still carries an empty slot (CharStrings
offsets, ``hmtx`` entry, FDSelect) for every glyph below the highest one used, plus
``cmap``, ``name`` and ``OS/2`` tables no PDF reader looks at: about 30 KB per
Chinese font in the sample, a third of the email edition.

PDF has the means to renumber without touching a content stream: with a CID-keyed
CFF font program the codes shown are CIDs, and the font's charset maps each glyph to
its CID (ISO 32000-1, 9.7.4.2 and 9.9; Adobe TN 5176, 13). So each such font is
rewritten as a bare CFF holding only the glyphs the document draws (the CIDs of its
``/W`` array), glyph *n*'s CID being the glyph ID WeasyPrint wrote. The result is what
Acrobat-made PDFs embed for CJK text.

Runs as WeasyPrint's public ``finisher`` hook of ``write_pdf``, after the fonts are
subset and before anything is written; it reads pydyf's object list, hence its place in
this seam.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil

_REFERENCE = re.compile(rb"(\d+) 0 R")


def cids_of_widths(widths) -> set[int]:
    """The CIDs a ``/W`` array as WeasyPrint writes it gives widths for:
    ``[first [w w ...] first [w ...] ...]``."""
    cids: set[int] = set()
    items = list(widths)
    for first, run in zip(items[::2], items[1::2]):
        cids.update(range(int(first), int(first) + len(run)))
    return cids


def compact_cff(font_program: bytes, cids: set[int]) -> bytes | None:
    """A bare CID-keyed CFF with glyph n's CID = its glyph ID in ``font_program``,
    holding only ``cids`` (and .notdef); None when the font is not CID-keyed CFF.

    The charstrings are copied as bytes, never decompiled (about 10 ms a font, where
    fontTools' subsetter, which interprets every glyph, takes 30 times as long); subrs,
    if any (WeasyPrint has HarfBuzz desubroutinize), keep their numbers and so stay
    valid. Unused Font DICTs stay too: a few hundred bytes."""
    from fontTools.cffLib import FDSelect, SubrsIndex
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_program), recalcBBoxes=False, lazy=True)
    if "CFF " not in font:
        return None
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return None
    glyph_count = len(font.getGlyphOrder())
    keep = [0] + sorted(cid for cid in cids if 0 < cid < glyph_count)
    charstrings = top.CharStrings
    index = SubrsIndex(None)
    index.items = [charstrings.charStringsIndex[gid] for gid in keep]
    names = [".notdef"] + [f"cid{gid:05d}" for gid in keep[1:]]
    charstrings.charStringsIndex = index
    charstrings.charStrings = {name: position for position, name in enumerate(names)}
    select = FDSelect()
    select.format = 3
    select.gidArray = [top.FDSelect.gidArray[gid] for gid in keep]
    top.FDSelect = select
    top.charset = names
    top.CIDCount = keep[-1] + 1
    out = io.BytesIO()
    cff.compile(out, font)
    return out.getvalue()


def compact_embedded_fonts(pdf) -> None:
    """Rewrite every OpenType/CFF font stream of a pydyf PDF in place."""
    import pydyf

    def resolve(reference):
        match = _REFERENCE.fullmatch(reference if isinstance(reference, bytes)
                                     else str(reference).encode())
        return pdf.objects[int(match.group(1))] if match else None

    cids_by_stream: dict[int, tuple[pydyf.Stream, set[int], list]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/CIDFontType0":
            continue
        descriptor = resolve(obj["FontDescriptor"])
        stream = resolve(descriptor.get("FontFile3", b"")) if descriptor else None
        if stream is None or stream.extra.get("Subtype") != "/OpenType":
            continue
        _, cids, cid_fonts = cids_by_stream.setdefault(id(stream), (stream, set(), []))
        cids.update(cids_of_widths(obj["W"]))
        cid_fonts.append(obj)
    for stream, cids, cid_fonts in cids_by_stream.values():
        compact = compact_cff(b"".join(stream.stream), cids)
        if compact is None:
            continue
        stream.stream = [compact]
        stream.extra["Subtype"] = "/CIDFontType0C"
        for cid_font in cid_fonts:
            cid_font.pop("CIDToGIDMap", None)  # a CIDFontType2 key (9.7.4.2)


def finisher(document, pdf) -> None:
    """``write_pdf(finisher=...)``: runs after the fonts are subset, before writing."""
    compact_embedded_fonts(pdf)


@contextlib.contextmanager
def font_configuration():
    """A FontConfiguration whose temporary folder (the @font-face files, 10-17 MB for the
    bundled fonts) is removed when the typesetting ends. WeasyPrint removes it in
    ``__del__``, which never runs in a forked typesetter that leaves with ``os._exit``:
    every build left a /tmp/weasyprint-* folder behind."""
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    try:
        yield config
    finally:
        remove_folder(config)


def remove_folder(config) -> None:
    """Remove a FontConfiguration's folder of @font-face files, if it made one."""
    if config._folder:  # WeasyPrint 70's own attribute (text/fonts.py)
        shutil.rmtree(config._folder, ignore_errors=True)
        config._folder = None
