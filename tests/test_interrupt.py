"""A Ctrl-C that Python swallows (raised inside a weakref callback) is still answered at
the build's checkpoint, without an "Exception ignored" traceback (renderer.interrupt)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

SWALLOWED = """
import os, signal, weakref
from renderer import interrupt
interrupt.install()
class Thing: pass
thing = Thing()
def callback(ref):  # the handler runs in here, and Python swallows its KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000): pass
ref = weakref.ref(thing, callback)
del thing
print("went on")
try:
    interrupt.checkpoint()
except KeyboardInterrupt:
    print("stopped at the checkpoint")
"""


def test_a_swallowed_ctrl_c_stops_at_the_checkpoint_quietly():
    result = subprocess.run([sys.executable, "-c", SWALLOWED], cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    assert result.stdout.splitlines() == ["went on", "stopped at the checkpoint"], result
    assert result.stderr == "", result.stderr


def test_without_ctrl_c_the_checkpoint_lets_the_build_go_on():
    result = subprocess.run([sys.executable, "-c", SWALLOWED.replace(
        "os.kill(os.getpid(), signal.SIGINT)", "pass")], cwd=ROOT, capture_output=True,
        text=True, timeout=30)
    assert result.stdout.splitlines() == ["went on"], result
