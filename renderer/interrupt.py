"""Ctrl-C, kept until it is answered.

Python raises KeyboardInterrupt wherever the main thread happens to be; inside a weakref
callback or a ``__del__`` (the import system runs such callbacks) it prints "Exception
ignored" and carries on, and the Ctrl-C is lost. The handler here records the signal
before raising, and the build calls ``checkpoint()`` before it writes anything, so a
swallowed Ctrl-C still stops it there.
"""

from __future__ import annotations

import signal
import sys

_received = False


def handle(signum, frame) -> None:
    global _received
    _received = True
    raise KeyboardInterrupt


def install() -> None:
    signal.signal(signal.SIGINT, handle)
    if sys.unraisablehook is not _quiet_when_recorded:
        _quiet_when_recorded.previous = sys.unraisablehook
        sys.unraisablehook = _quiet_when_recorded


def _quiet_when_recorded(unraisable) -> None:
    """A swallowed Ctrl-C is recorded (and answered at the checkpoint): no "Exception
    ignored" traceback for it. Anything else is shown as Python shows it."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and _received:
        return
    _quiet_when_recorded.previous(unraisable)


def checkpoint() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came, even if its exception was swallowed."""
    if _received:
        raise KeyboardInterrupt
