"""A real browser for the tests: Debian's chromium, driven by Playwright (no browser download).

One browser per test process, started on first use and closed at exit; each test gets a
fresh context (its own cookies, cache and viewport), so tests do not see each other's
pages, and chromium starts once instead of once a test.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_running: dict = {}


def _browser():
    if "browser" not in _running:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _running["playwright"] = playwright
        _running["browser"] = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        atexit.register(_stop)
    return _running["browser"]


def _stop() -> None:
    with contextlib.suppress(Exception):  # at exit: the browser may be gone already
        _running.pop("browser").close()
        _running.pop("playwright").stop()


@contextlib.contextmanager
def browser_page(width: int = 1280, height: int = 900):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh --test (it installs "
                    "Debian's chromium for the browser tests)")
    context = _browser().new_context(viewport={"width": width, "height": height})
    try:
        yield context.new_page()
    finally:
        context.close()
