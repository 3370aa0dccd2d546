"""What a typesetting reads once per process is read by the warm-up, before the forks: a
typesetting after it parses no C type (weasyprint70.cdata) and reads no hyphenation
patterns, and its fonts are embedded as without the patch."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pikepdf
import pycparser
import pyphen
import pytest

from renderer.typeset.weasyprint70 import cdata, load
from tests.conftest import ROOT, patches_off

# Each document draws another set of glyphs: its fonts' arrays have other lengths.
DOCUMENTS = ["<p lang='en'>Harbour office, 1998.</p>",
             "<p lang='en'>Visiting delegations and trade missions.</p>"
             "<p lang='zh-Hans'>代表团来访与经贸洽谈。</p>",
             "<h1 lang='en'>Quarterly Notes</h1><p lang='zh-Hans'>季度简报：友好城市。</p>",
             # hyphenated, as the press sets English (styles/cjk.css)
             "<p lang='en' style='width: 12mm; hyphens: auto; text-align: justify'>"
             "Intergovernmental representatives commemorated extraordinary partnerships.</p>"]


@contextlib.contextmanager
def counted(cls, method: str):
    """The first argument after ``self`` of each call of ``cls.method``."""
    calls = []
    original = getattr(cls, method)

    def recording(self, first, *args, **kwargs):
        calls.append(first)
        return original(self, first, *args, **kwargs)

    setattr(cls, method, recording)
    try:
        yield calls
    finally:
        setattr(cls, method, original)


def counted_parses():
    """The C declarations pycparser parses (cffi parses every new type string)."""
    return counted(pycparser.CParser, "parse")


def counted_pattern_reads():
    """The hyphenation pattern files pyphen reads."""
    return counted(pyphen.HyphDict, "__init__")


def write(html: str) -> bytes:
    weasyprint = load()
    out = io.BytesIO()
    weasyprint.HTML(string=html).write_pdf(out)
    return out.getvalue()


def font_programs(pdf: bytes) -> list[bytes]:
    """The embedded font files of a PDF, decoded (ISO 32000-1 9.9)."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return sorted(descriptor[key].read_bytes() for descriptor in opened.objects
                      if isinstance(descriptor, pikepdf.Dictionary)
                      and descriptor.get("/Type") == "/FontDescriptor"
                      for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor)


# A process as the warm typesetter leaves it for its forks (WeasyPrint loaded through the
# seam, the stylesheets parsed, nothing laid out yet): what writing the documents parses
# and reads; then what one of them parses without the patch, which the count must see.
FRESH_TYPESETTER = """
from renderer.typeset import warm_up
from renderer.typeset.weasyprint70 import cdata
from tests.typeset.test_warm_up import DOCUMENTS, counted_parses, counted_pattern_reads, write
warm_up()
with counted_parses() as parses, counted_pattern_reads() as reads:
    for html in DOCUMENTS:
        write(html)
cdata.uninstall()
with counted_parses() as unpatched:
    write(DOCUMENTS[1])
sized = [text for text in unpatched if "hb_codepoint_t[" in "".join(text.split())]
print(len(parses), len(reads), len(sized))
"""


def test_a_typesetting_after_the_warm_up_parses_no_c_type_and_reads_no_patterns():
    result = subprocess.run([sys.executable, "-c", FRESH_TYPESETTER], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    parses, reads, unpatched = map(int, result.stdout.split()[-3:])
    assert (parses, reads) == (0, 0)
    assert unpatched >= 2  # WeasyPrint 70's own: each font's glyph arrays by their length
    with counted_pattern_reads() as pattern_reads:  # the count sees a read of the patterns
        pyphen.Pyphen(lang="en", cache=False)
    assert len(pattern_reads) == 1


def test_the_fonts_are_subset_as_without_the_patch():
    for html in DOCUMENTS:
        patched = font_programs(write(html))
        with patches_off(cdata):
            unpatched = font_programs(write(html))
        assert patched and patched == unpatched


def test_a_sized_array_is_the_same_memory_as_an_open_one():
    from weasyprint.pdf import fonts

    ffi = fonts.ffi
    assert list(ffi.new("hb_codepoint_t[3]", [7, 8, 9])) == [7, 8, 9]
    assert list(ffi.new("hb_codepoint_t[4]")) == [0, 0, 0, 0]
    assert list(ffi.new("hb_codepoint_t[4]", [5, 6])) == [5, 6, 0, 0]  # padded, as cffi does
    with pytest.raises(TypeError, match="must be a list or tuple"):  # as cffi refuses it
        ffi.new("hb_codepoint_t[3]", iter([1, 2, 3]))
    assert ffi.sizeof(ffi.new("hb_tag_t[100]")) == ffi.sizeof("hb_tag_t") * 100
    assert ffi.string(ffi.new("char[4]")) == b""
