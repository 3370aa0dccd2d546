"""Open WeasyPrint's shared libraries by soname, without ``find_library`` searches.

Upstream-ready description: WeasyPrint tries each library (Pango, HarfBuzz, fontconfig,
GObject) under six names for the platforms it supports (``weasyprint/text/ffi.py``,
``_dlopen``), and for every name that is not this platform's, cffi asks
``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` and then ``gcc``/``ld``:
some 200 processes and 0.15 s before the first page, per process. The names that work
on Linux are sonames (``libpango-1.0.so.0``), which the dynamic linker opens without any
search. Trying the soname first, and ``find_library`` only when it fails, would fix it
upstream for every Linux user.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import sys


@contextlib.contextmanager
def by_soname():
    """While WeasyPrint is imported, a name cffi cannot open as it stands is not searched."""
    saved = ctypes.util.find_library
    if sys.platform.startswith("linux"):
        ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = saved


def harfbuzz_subset_missing() -> bool:
    """Whether HarfBuzz's subsetter is missing (then WeasyPrint subsets with fontTools,
    about 12 s more a build). Checked with dlopen, which spawns nothing."""
    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return True
    return False
