"""Start-up: the typesetter loads WeasyPrint's libraries without spawning a process, and
a missing HarfBuzz subsetter is one warning with the command that installs it."""

from __future__ import annotations

import ctypes
import subprocess
import sys

from renderer import typeset
from tests.conftest import ROOT

COUNT_SPAWNS = """
import subprocess, sys
spawned = []
original = subprocess.Popen.__init__
def recording(self, args, *rest, **kwargs):
    spawned.append(args)
    original(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = recording
{body}
print(len(spawned))
"""


def _spawns(body: str) -> int:
    result = subprocess.run([sys.executable, "-c", COUNT_SPAWNS.format(body=body)],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    return int(result.stdout.split()[-1])


def test_typesetter_loads_weasyprint_without_spawning():
    assert _spawns("import weasyprint") > 0   # WeasyPrint alone asks ldconfig and gcc
    assert _spawns("from renderer.typeset.weasyprint70 import load; load()") == 0


def test_missing_harfbuzz_subset_is_one_warning_with_the_fix(monkeypatch):
    assert typeset.library_warnings() == []   # installed here by scripts/setup.sh
    real = ctypes.CDLL

    def without_subset(name, *args, **kwargs):
        if "harfbuzz-subset" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", without_subset)
    [warning] = typeset.library_warnings()
    assert "apt-get install libharfbuzz-subset0" in warning
