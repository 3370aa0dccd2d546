"""C types of WeasyPrint's cffi calls parsed once per process, not once per font or fork.

cffi turns a type given as a string (``ffi.new("PangoRectangle *")``) into a C type by
parsing it with pycparser, about 3 ms each, and caches the result under that string:

- WeasyPrint 70 writes the length into the type of each array it hands HarfBuzz when it
  subsets a font (``ffi.new(f"hb_codepoint_t[{len(keep)}]", keep)``, ``pdf/fonts.py``),
  so every embedded font of every document parses two new types. In ``pdf/fonts.py`` the
  patch allocates ``T[n]`` as the open array ``T[]`` of ``n`` items: the same memory,
  zeroed and filled the same way, from one parsed type.
- The fixed types a layout and its writing ask for (``DRAWING_TYPES``) are parsed when
  the patch is installed, in the warm typesetter before it forks, instead of in each
  edition's process.

Together: 36 parses (86 ms of CPU) a sample build, about a fifth of the typesetting of a
two-page issue. Upstream-ready description: give ``ffi.new`` an open array type and the
length (``ffi.new("hb_codepoint_t[]", keep)``).
"""

from __future__ import annotations

import re

# What laying out and writing a document gives ffi.new in WeasyPrint 70 (text/ffi.py,
# text/line_break.py, pdf/stream.py; pdf/fonts.py through the patch); the @font-face
# types are parsed by then, with the stylesheets.
DRAWING_TYPES = ("char[]", "PangoLogAttr[]", "PangoRectangle *", "unsigned int *",
                 "hb_tag_t[]", "hb_codepoint_t[]")
_SIZED_ARRAY = re.compile(r"([A-Za-z_][\w ]*?)\s*\[(\d+)\]")

_original = None  # weasyprint.pdf.fonts.ffi while installed


class _OpenArrays:
    """WeasyPrint's ``ffi`` as ``pdf/fonts.py`` sees it: ``new("T[n]", items)`` is
    ``new("T[]", items)`` (or ``n`` zeroed items), everything else is the ffi's own."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        sized = _SIZED_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if sized is None:
            return self._ffi.new(cdecl, init)
        length = int(sized[2])
        if init is None:
            return self._ffi.new(f"{sized[1]}[]", length)
        if not isinstance(init, (list, tuple)) or len(init) != length:
            return self._ffi.new(cdecl, init)  # T[n] pads a shorter list: keep its meaning
        return self._ffi.new(f"{sized[1]}[]", init)


def install() -> None:
    global _original
    from weasyprint.pdf import fonts

    if _original is None:
        _original = fonts.ffi
        fonts.ffi = _OpenArrays(_original)
        for cdecl in DRAWING_TYPES:
            _original.typeof(cdecl)


def uninstall() -> None:
    global _original
    from weasyprint.pdf import fonts

    if _original is not None:
        fonts.ffi, _original = _original, None
