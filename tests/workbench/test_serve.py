"""`make-issue serve` in a real browser: the pages show, a save updates them, a mistake
shows in the page while the last good pages stay, Ctrl-C stops the server cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.browser import browser_page
from tests.conftest import MAKE_ISSUE, ROOT, SAMPLE

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.long]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    issue = tmp_path / "issue"
    shutil.copytree(SAMPLE, issue)
    port = _free_port()
    process = subprocess.Popen([*MAKE_ISSUE, "serve", issue, "--out", tmp_path / "dist",
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            state = json.loads(urllib.request.urlopen(url + "state", timeout=2).read())
            if state["editions"]["email"]["pages"] and state["editions"]["print"]["pages"]:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("serve did not come up: " + (process.stdout.read() or ""))
    yield url, issue, process
    if process.poll() is None:
        process.kill()
        process.wait()


def _wait(predicate, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_preview_updates_on_save_and_shows_errors(server, tmp_path):
    url, issue, process = server
    with browser_page() as page:
        page.goto(url)
        page.wait_for_selector("#pages figure.page img")
        hashes = page.eval_on_selector_all("#pages img", "els => els.map(e => e.dataset.hash)")
        assert len(hashes) == 7
        # every image really loads (a PNG of a page, not a broken link)
        page.wait_for_function("() => [...document.querySelectorAll('#pages img')]"
                               ".every(img => img.complete)", timeout=30_000)
        widths = page.eval_on_selector_all("#pages img", "els => els.map(e => e.naturalWidth)")
        assert min(widths) > 800
        assert "pair-3-truncated" in page.inner_text("#findings")
        page.screenshot(path=str(tmp_path / "preview-1280.png"))

        # An editor saves an article: the changed page gets a new image, the others keep theirs.
        article = next((issue / "articles").glob("03-*.md"))
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("## English\n\n", "## English\n\nA NEW OPENING SENTENCE "
                                        "WRITTEN IN THE PREVIEW TEST.\n\n", 1)
                           .replace("## 中文\n\n", "## 中文\n\n预览测试新加的开头一句。\n\n", 1),
                           encoding="utf-8")
        saved = time.monotonic()
        _wait(lambda: page.eval_on_selector_all(
            "#pages img", "els => els.map(e => e.dataset.hash)") != hashes)
        latency = time.monotonic() - saved
        new = page.eval_on_selector_all("#pages img", "els => els.map(e => e.dataset.hash)")
        changed = [n for n, (a, b) in enumerate(zip(hashes, new), start=1) if a != b]
        assert changed and len(changed) < len(new), changed
        assert page.locator("#pages figure.changed").count() >= 1
        assert "Changed articles/03-" in page.inner_text("#status")
        print(f"refresh latency in the browser: {latency:.2f} s")

        # The text of the new page really is in the rebuilt PDF the page links to.
        pdf = urllib.request.urlopen(url + "pdf/email", timeout=10).read()
        import pypdfium2 as pdfium
        texts = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf))
        assert "A NEW OPENING SENTENCE" in texts.replace("\r\n", " ").replace("\n", " ")

        # A mistake: the error appears in the page, the last good pages stay.
        manifest = issue / "issue.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("volume: 1", "volume: x"),
                            encoding="utf-8")
        page.wait_for_selector("#error", state="visible", timeout=30_000)
        assert "issue.yaml:6" in page.inner_text("#error")
        assert page.locator("#pages img").count() == 7

        # The print edition and the reader spreads.
        page.click("[data-edition=print]")
        page.click("[data-layout=spreads]")
        assert page.locator("#pages .spread").count() == 4  # 1 | 2-3 | 4-5 | 6-7
        page.screenshot(path=str(tmp_path / "preview-spreads.png"))
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=15)
    assert process.returncode in (0, 130), out
    assert "Traceback" not in out
