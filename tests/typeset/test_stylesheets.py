"""The linked stylesheets of styles/ are parsed once per process and reused by every
later document (renderer.typeset.weasyprint70.stylesheets), with the same PDFs as a
parse per document; a document with font supplements keeps its own configuration."""

from __future__ import annotations

from dataclasses import replace

from renderer.compose import compose
from renderer.load import load_issue
from renderer.prepare import prepare_issue
from renderer.typeset import typeset, warm_up
from renderer.typeset.weasyprint70 import install, stylesheets
from tests.tiny_issue import write_tiny_issue


def test_a_second_document_reuses_the_parsed_sheets_and_prints_the_same(tmp_path):
    prepared = prepare_issue(load_issue(write_tiny_issue(tmp_path / "issue")))
    composed = compose(prepared, "print")
    assert '<link rel="stylesheet" href="base.css">' in composed.html
    warm_up()
    parsed = dict(stylesheets._parsed)
    assert {url.rsplit("/", 1)[1] for url, *_ in parsed} >= {
        "fonts.css", "base.css", "cjk.css", "print.css", "email.css"}
    first = typeset(composed, prepared.issue).pdf
    second = typeset(composed, prepared.issue).pdf
    assert stylesheets._parsed == parsed  # the very objects: nothing parsed again
    assert second == first
    try:
        stylesheets.uninstall()  # every document parses its sheets, as WeasyPrint does
        assert typeset(composed, prepared.issue).pdf == first
    finally:
        stylesheets.release()
        install()
        warm_up()


def test_sheets_outside_styles_and_documents_with_their_own_fonts_are_not_shared(tmp_path):
    warm_up()
    shared = stylesheets.shared_font_configuration()
    elsewhere = tmp_path / "base.css"
    elsewhere.write_text("p { color: red }", encoding="utf-8")
    one = stylesheets._css(url=elsewhere.as_uri(), font_config=shared)
    assert stylesheets._css(url=elsewhere.as_uri(), font_config=shared) is not one
    assert all(not url.startswith(tmp_path.as_uri()) for url, *_ in stylesheets._parsed)

    prepared = prepare_issue(load_issue(write_tiny_issue(tmp_path / "issue")))
    composed = compose(prepared, "email")
    with_supplements = replace(composed, bundled_fonts_only=False)
    from renderer.typeset import _font_configuration

    with _font_configuration(with_supplements) as own:
        assert own is not shared
    with _font_configuration(composed) as same:
        assert same is shared
