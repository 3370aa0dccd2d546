"""The web edition and the site, read back as a reader gets them: files on disk, the Atom
feed parsed with xml.etree, and the pages in Debian's chromium (Playwright) served from
127.0.0.1, with the vendored axe-core accessibility engine injected."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import threading
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from renderer.deliver import files
from tests.browser import browser_page
from tests.conftest import ROOT, SAMPLE, run_in_process

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
A = "{http://www.w3.org/2005/Atom}"
SCREENSHOTS = Path("/tmp/web-edition-screenshots")  # looked at by a human; rewritten each run


@contextlib.contextmanager
def served(folder: Path):
    """`folder` over HTTP on 127.0.0.1 (Python's http.server, in a thread)."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_page(page, url: str) -> list[str]:
    """Load `url`, wait for its fonts and images; return every URL the page requested."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(url)  # until "load": the document, its style sheets and eager images
    # What loads after: the fonts the text asks for. (Not "networkidle": it waits half a
    # second of silence on every page.)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_function("[...document.images].every(i => i.loading === 'lazy' || i.complete)")
    assert failed == []
    return requested


def axe_serious(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:3])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def visible(page, selector: str) -> list[bool]:
    return page.eval_on_selector_all(
        selector, "els => els.map(e => e.getClientRects().length > 0)")


@pytest.fixture(scope="module")
def sample_web(sample_build) -> Path:
    folder = sample_build["email"].parent / "web"
    assert (folder / "index.html").is_file()
    return folder


def test_axe_core_is_the_vendored_release():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def test_the_web_edition_is_self_contained(sample_web):
    names = {p.relative_to(sample_web).as_posix() for p in sample_web.rglob("*") if p.is_file()}
    assert {"index.html", "web.css", "fonts/OFL-NotoCJK.txt"} <= names
    assert files.missing_files(sample_web) == []
    page = (sample_web / "index.html").read_text()
    assert 'href="../cqfao-newsletter-2022-02-email.pdf"' in page
    assert 'href="../cqfao-newsletter-2022-02-print.pdf"' in page
    assert (sample_web.parent / "cqfao-newsletter-2022-02-email.pdf").is_file()
    # fonts are subsets: every Chinese character of the page, far smaller than fonts/
    from fontTools.ttLib import TTFont

    subset = TTFont(sample_web / "fonts" / "PressSerifSC-Regular.otf")
    cmap = subset.getBestCmap()
    assert all(ord(c) in cmap for c in "重庆外事简讯友谊林口罩")
    assert (sample_web / "fonts" / "PressSerifSC-Regular.otf").stat().st_size < 400_000
    # one figure at several widths, never wider than its source (2100 px)
    widths = sorted(int(n.rsplit("-", 1)[1][:-4]) for n in names if n.startswith("images/"))
    assert widths == [480, 960, 1440, 1920]
    assert not list(sample_web.parent.glob(".*partial"))


def test_a_deleted_figure_makes_the_next_build_write_the_web_edition_again(tmp_path):
    from renderer.build import build_issue

    issue = tmp_path / "issue"
    shutil.copytree(SAMPLE, issue)
    out = tmp_path / "dist"
    first = build_issue(issue, out, editions=("web",))
    folder = first.editions[0].path.parent
    [image] = list((folder / "images").glob("*-480.jpg"))
    image.unlink()
    again = build_issue(issue, out, editions=("web",))
    assert not again.editions[0].up_to_date and image.is_file()
    assert build_issue(issue, out, editions=("web",)).editions[0].up_to_date
    assert not list(folder.parent.glob(".*partial"))


@pytest.mark.xdist_group("corpus")
def test_corpus_issues_have_web_editions(corpus_builds):
    for folder, pdfs in corpus_builds.items():
        edition = pdfs["email"].parent / "web"
        assert files.missing_files(edition) == [], folder
        text = (edition / "index.html").read_text()
        assert text.count('<h1 class="masthead-name">') == 1
        assert 'lang="zh-Hans"' in text and 'lang="en"' in text


@pytest.mark.parametrize("width", [375, 1280])
def test_in_the_browser(sample_web, width):
    """A phone and a desktop: no horizontal scroll, nothing from outside, real headings,
    `lang` on every block, the figure from srcset, axe-core: no serious violation."""
    SCREENSHOTS.mkdir(exist_ok=True)
    with served(sample_web.parent) as base, browser_page(width, 900) as page:
        requested = open_page(page, base + "web/")
        assert requested and all(url.startswith(base) for url in requested), requested
        assert any(url.endswith(".otf") for url in requested)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("document.fonts.check('16px \"Press Serif SC\"', '重庆')")
        assert page.locator("h1").count() == 1
        assert page.locator("main article h2").count() == 2 * 7  # a title per language
        unlabelled = page.evaluate("""() => [...document.body.querySelectorAll('*')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3
                                                   && /[\\p{L}\\p{N}]/u.test(n.textContent)))
            .filter(e => e.closest('[lang]') === document.documentElement)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert unlabelled == []
        image = page.locator("figure img.l-en").first
        image.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('figure img.l-en').complete")
        source, shown, alt = image.evaluate("img => [img.currentSrc, img.clientWidth, img.alt]")
        assert "/web/images/" in source and alt
        pixels = int(source.rsplit("-", 1)[1].removesuffix(".jpg"))
        assert shown <= pixels < 2 * shown  # srcset: sharp, and not the largest file for a phone
        columns = page.evaluate("""() => { const p = document.querySelector('main .pair:not(header)');
            const [en, zh] = p.children; return [en.getBoundingClientRect().top,
            zh.getBoundingClientRect().top, en.getBoundingClientRect().left,
            zh.getBoundingClientRect().left]; }""")
        if width >= 1000:
            assert columns[0] == columns[1] and columns[2] < columns[3]  # side by side
        else:
            assert columns[1] > columns[0] and columns[2] == columns[3]  # stacked
        page.screenshot(path=str(SCREENSHOTS / f"sample-{width}.png"))
        page.screenshot(path=str(SCREENSHOTS / f"sample-{width}-full.png"), full_page=True)
        assert axe_serious(page) == []


def test_the_language_switch(sample_web):
    with served(sample_web.parent) as base, browser_page(375, 800) as page:
        open_page(page, base + "web/")
        assert all(visible(page, "main p:is([lang=en] *, [lang=zh-Hans] *)"))
        page.get_by_text("中文", exact=True).click()
        assert not any(visible(page, "main .l-en p")) and all(visible(page, "main .l-zh p"))
        assert visible(page, "figure img.l-zh") == [True] and visible(page, "figure img.l-en") == [False]
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(SCREENSHOTS / "sample-375-zh.png"))
        assert axe_serious(page) == []
        page.get_by_text("English", exact=True).click()
        assert all(visible(page, "main .l-en p")) and not any(visible(page, "main .l-zh p"))
        page.keyboard.press("ArrowRight")  # a radio group: the arrow keys move the choice
        assert page.locator("#show-zh").is_checked()
        page.locator("label[for=show-both]").click()
        assert all(visible(page, "main .l-en p")) and all(visible(page, "main .l-zh p"))


@pytest.fixture(scope="module")
def site(sample_build, tmp_path_factory) -> Path:
    """The sample and a copy of it for March, archived by the real command (the sample's
    build is the session's, up to date; only March is built)."""
    out = sample_build["email"].parent.parent
    march = tmp_path_factory.mktemp("issues") / "2022-03"
    shutil.copytree(SAMPLE, march)
    manifest = march / "issue.yaml"
    manifest.write_text(manifest.read_text().replace("number: 2", "number: 3")
                        .replace("month: 2022-02", "month: 2022-03")
                        .replace("published: 2022-02-28", "published: 2022-03-31"))
    result = run_in_process("site", SAMPLE, march, "--out", out, "--base-url", "https://example.org/news/")
    assert result.returncode == 0, result.stderr
    return out / "site"


@pytest.mark.xdist_group("site")  # one worker archives the two issues, for both tests
def test_the_site_index_and_atom_feed(site):
    for key in ("2022-02", "2022-03"):
        assert files.missing_files(site / key / "web") == []
        assert (site / key / f"cqfao-newsletter-{key}-print.pdf").is_file()
    index = (site / "index.html").read_text()
    assert index.index('href="2022-03/web/"') < index.index('href="2022-02/web/"')  # newest first
    assert files.missing_files(site) == []

    feed = ET.parse(site / "feed.atom").getroot()
    assert feed.tag == f"{A}feed"
    # RFC 4287 4.1.1: exactly one id, title, updated; an author (here on the feed)
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{A}{name}")) == 1, name
    assert feed.find(f"{A}author/{A}name").text
    assert feed.find(f"{A}link[@rel='self']").get("href") == "https://example.org/news/feed.atom"
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 2
    ids = []
    for entry in entries:
        for name in ("id", "title", "updated"):  # 4.1.2: exactly one of each
            assert len(entry.findall(f"{A}{name}")) == 1, name
        ids.append(entry.find(f"{A}id").text)
        alternate = entry.find(f"{A}link[@rel='alternate']")  # no content: an alternate link
        assert alternate is not None and alternate.get("href").startswith("https://example.org/")
        datetime.fromisoformat(entry.find(f"{A}updated").text)  # RFC 3339
        assert entry.find(f"{A}updated").text.endswith("Z")
        enclosure = entry.find(f"{A}link[@rel='enclosure']")
        assert int(enclosure.get("length")) > 0
    assert len(set(ids)) == 2 and all(i.startswith("urn:uuid:") for i in ids)
    assert [e.find(f"{A}updated").text for e in entries] == ["2022-03-31T00:00:00Z",
                                                             "2022-02-28T00:00:00Z"]
    assert feed.find(f"{A}updated").text == "2022-03-31T00:00:00Z"
    assert "外国驻渝领事官员" in entries[0].find(f"{A}summary").text


@pytest.mark.xdist_group("site")
def test_the_site_in_the_browser(site):
    with served(site) as base, browser_page(375, 800) as page:
        requested = open_page(page, base)
        assert all(url.startswith(base) for url in requested)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(SCREENSHOTS / "site-375.png"), full_page=True)
        assert axe_serious(page) == []
        page.locator("a[href='2022-03/web/']").click()
        page.wait_for_load_state("load")
        assert page.url == base + "2022-03/web/"
        # the web edition's PDF links resolve inside the site
        response = page.request.get(page.locator("a[type='application/pdf']").first
                                    .evaluate("a => a.href"))
        assert response.ok and response.body()[:5] == b"%PDF-"


def test_site_refuses_two_newsletters_and_an_empty_folder(tmp_path):
    result = run_in_process("site", tmp_path, "--out", tmp_path / "dist")
    assert result.returncode == 2 and "no issue folder" in result.stderr
    assert "Traceback" not in result.stderr
    mixed = [SAMPLE, *sorted((ROOT / "tests" / "corpus" / "issues").iterdir())[:1]]
    result = run_in_process("site", *mixed, "--out", tmp_path / "dist")
    assert result.returncode == 2 and "one newsletter" in result.stderr
    assert not (tmp_path / "dist" / "site").exists()
