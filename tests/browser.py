"""A real browser for the tests: Debian's chromium, driven by Playwright (no browser download)."""

from __future__ import annotations

import contextlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def browser_page(width: int = 1280, height: int = 900):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh --test (it installs "
                    "Debian's chromium for the browser tests)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
