"""Content never reaches the machine's other files or the network.

A secret (a unique marker in a file outside the issue) is referenced every way an
editor's text could reference it: a figure path, a link out of the issue, file:// in a
Markdown link and image, raw <img>, <link rel=attachment>, CSS url() and @import. Each
build either refuses (exit 2, no PDF) or succeeds with the markup shown as text; then
every produced PDF is opened and every stream decompressed, and the marker must not be
anywhere. A local HTTP listener stands in for "the network": it must never see a
connection. Finally `SandboxFetcher` (renderer/typeset/fetcher.py), the fetcher WeasyPrint uses
for every URL, is tested on its own.
"""

from __future__ import annotations

import socket
import uuid
import zlib
from pathlib import Path

import pikepdf
import pytest
from weasyprint.urls import FatalURLFetchingError

from renderer.assets import FONTS, STYLES
from renderer.typeset import fetcher as sandbox
from tests.conftest import pdf_text, run_in_process
from tests.test_bad_inputs import squeezed
from tests.tiny_issue import OUTPUTS, png_bytes, write_tiny_issue

ARTICLE = "articles/01-one.md"


@pytest.fixture
def secret(tmp_path: Path) -> tuple[Path, bytes]:
    """A file outside the issue holding a marker found nowhere else."""
    marker = f"SECRET-{uuid.uuid4().hex}".encode()
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_bytes(marker + b"\n")
    return path, marker


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


# --- the whole press -----------------------------------------------------------

def references_in_text(secret: Path, port: int) -> list[str]:
    """One English paragraph per way of pointing at the secret from article text."""
    url = secret.as_uri()
    web = f"http://127.0.0.1:{port}"
    return [
        f"Markdown link [the secret]({url}) and image ![secret]({url}).",
        f'Raw image <img src="{url}"> and <img src="{web}/i.png">.',
        f'Attachment <link rel="attachment" href="{url}"> and '
        f'<link rel="stylesheet" href="{web}/s.css">.',
        f"Style <style>@import url({url}); @import url({web}/i.css); "
        f"p {{ background: url({url}) }}</style>.",
        f'Inline <span style="background: url({url})">style</span>.',
        f"Relative [up](../outside/{secret.name}) and <img src=\"../outside/{secret.name}\">.",
    ]


def article_with(paragraphs: list[str]) -> str:
    english = "\n\n".join(paragraphs)
    chinese = "\n\n".join(f"第{n}段。" for n in range(1, len(paragraphs) + 1))
    return (f"---\ntitle:\n  en: A Short Article\n  zh: 一篇短文\n---\n\n"
            f"## English\n\n{english}\n\n## 中文\n\n{chinese}\n")


def all_pdf_bytes(pdf_path: Path) -> list[bytes]:
    """The file itself, every stream decoded, and every string object's text."""
    found = [pdf_path.read_bytes()]
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    found.append(obj.read_bytes())
                except pikepdf.PdfError:  # a filter qpdf cannot decode (none expected)
                    found.append(obj.read_raw_bytes())
            found.extend(_strings(obj))
    return found


def _strings(obj, depth: int = 0) -> list[bytes]:
    """String objects held directly in `obj` (indirect ones are visited on their own):
    strings in compressed object streams are not in the file's raw bytes."""
    if isinstance(obj, pikepdf.String):
        return [bytes(obj), str(obj).encode("utf-8", "replace")]
    if isinstance(obj, str):
        return [obj.encode("utf-8", "replace")]
    if depth > 30:
        return []
    if isinstance(obj, pikepdf.Array):
        children = list(obj)
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        children = [obj[key] for key in obj.keys()]
    else:
        return []
    return [found for child in children
            if not (isinstance(child, pikepdf.Object) and child.is_indirect)
            for found in _strings(child, depth + 1)]


def assert_marker_absent(out: Path, marker: bytes) -> None:
    for pdf in out.rglob("*.pdf"):
        for chunk in all_pdf_bytes(pdf):
            for form in (marker, marker.decode().encode("utf-16-be")):
                assert form not in chunk, f"the secret leaked into {pdf}"


def has_attachments(pdf_path: Path) -> bool:
    with pikepdf.open(pdf_path) as pdf:
        if "/EmbeddedFiles" in pdf.Root.get("/Names", {}):
            return True
        return any(annot.get("/Subtype") == "/FileAttachment"
                   for page in pdf.pages for annot in page.get("/Annots", []))


def test_references_in_article_text_are_printed_not_fetched(tmp_path, secret, listener):
    secret_path, marker = secret
    issue = write_tiny_issue(tmp_path / "issue")
    paragraphs = references_in_text(secret_path, listener.getsockname()[1])
    (issue / ARTICLE).write_text(article_with(paragraphs), encoding="utf-8")
    out = tmp_path / "out"

    result = run_in_process("build", issue, "--out", out)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for edition, name in OUTPUTS.items():
        shown = squeezed(pdf_text(out / name))
        for paragraph in paragraphs:  # the markup itself, as text (links unlinked in print)
            assert squeezed(paragraph.split("(")[0].split("<")[0]) in shown, edition
        assert squeezed(f'<link rel="attachment" href="{secret_path.as_uri()}">') in shown
        assert squeezed("<style>@import url(") in shown
        assert not has_attachments(out / name), edition
    assert_marker_absent(out, marker)
    assert connections(listener) == 0, "the build connected to the network"


def test_the_leak_checks_find_a_hidden_marker(tmp_path, secret):
    """The checks above can fail: a marker in a compressed attachment, or only in a
    UTF-16 string inside a compressed object stream, is found."""
    _, marker = secret
    for hide in ("attachment", "utf16-title"):
        pdf = pikepdf.new()
        pdf.add_blank_page()
        if hide == "attachment":
            pdf.attachments["x.txt"] = pikepdf.AttachedFileSpec(pdf, marker * 3)
            pdf.attachments["x.txt"].obj.EF.F.write(zlib.compress(marker * 3),
                                                    filter=pikepdf.Name.FlateDecode)
        else:
            pdf.docinfo["/Title"] = pikepdf.String("\u4e2d " + marker.decode())
        out = tmp_path / hide
        out.mkdir()
        pdf.save(out / "leak.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 compress_streams=True)
        assert marker not in (out / "leak.pdf").read_bytes()
        with pytest.raises(AssertionError, match="leaked"):
            assert_marker_absent(out, marker)
        assert has_attachments(out / "leak.pdf") == (hide == "attachment")


def _figure(image: str) -> str:
    return ("figures:\n  - image: " + image +
            "\n    caption: {en: A picture, zh: 一张图}\n")


def refer_by_figure_path(issue: Path, secret: Path) -> None:
    text = (issue / ARTICLE).read_text(encoding="utf-8")
    (issue / ARTICLE).write_text(text.replace("---\n\n", _figure("../outside/secret.txt")
                                              + "---\n\n", 1), encoding="utf-8")


def refer_by_figure_symlink(issue: Path, secret: Path) -> None:
    (issue / "images" / "fig.png").symlink_to(secret)
    text = (issue / ARTICLE).read_text(encoding="utf-8")
    (issue / ARTICLE).write_text(text.replace("---\n\n", _figure("images/fig.png") + "---\n\n", 1),
                                 encoding="utf-8")


def refer_by_article_symlink(issue: Path, secret: Path) -> None:
    """The article itself is a link to an outside file (a valid article plus the marker)."""
    outside = secret.parent / "article.md"
    outside.write_text((issue / ARTICLE).read_text(encoding="utf-8").replace(
        "The first paragraph", secret.read_text().strip()), encoding="utf-8")
    (issue / ARTICLE).unlink()
    (issue / ARTICLE).symlink_to(outside)


def refer_by_file_url_figure(issue: Path, secret: Path) -> None:
    text = (issue / ARTICLE).read_text(encoding="utf-8")
    (issue / ARTICLE).write_text(text.replace("---\n\n", _figure(secret.as_uri()) + "---\n\n", 1),
                                 encoding="utf-8")


@pytest.mark.parametrize("refer", [refer_by_figure_path, refer_by_figure_symlink,
                                   refer_by_article_symlink, refer_by_file_url_figure],
                         ids=lambda f: f.__name__)
def test_references_from_files_are_refused(refer, tmp_path, secret):
    secret_path, marker = secret
    issue = write_tiny_issue(tmp_path / "issue")
    refer(issue, secret_path)
    out = tmp_path / "out"

    result = run_in_process("build", issue, "--out", out, "--edition", "email")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "outside the issue folder" in result.stderr or "relative to the issue" in result.stderr
    assert marker.decode() not in result.stdout + result.stderr
    assert not list(out.rglob("*.pdf"))


def test_markup_in_a_title_is_printed_as_written(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    text = (issue / ARTICLE).read_text(encoding="utf-8")
    (issue / ARTICLE).write_text(text.replace("en: A Short Article",
                                              'en: "Trees & <b>Parks</b>"'), encoding="utf-8")
    out = tmp_path / "out"
    result = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert result.returncode == 0, result.stderr
    shown = pdf_text(out / OUTPUTS["email"])
    assert "Trees & <b>Parks</b>" in shown
    assert "&amp;" not in shown and "&lt;" not in shown


# --- SandboxFetcher on its own -----------------------------------------------------

@pytest.fixture
def fetcher():
    return sandbox.sandbox_fetcher_class()()


def test_data_urls_are_served(fetcher):
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    assert not fetcher.refused


@pytest.mark.parametrize("asset", [STYLES / "base.css", FONTS / "PressSerif-Regular.ttf"],
                         ids=["styles", "fonts"])
def test_project_assets_are_served(fetcher, asset):
    response = fetcher.fetch(asset.as_uri())
    assert response.read() == asset.read_bytes()
    assert not fetcher.refused


@pytest.mark.parametrize("url", [
    "file:///etc/hostname",
    "file://localhost/etc/hostname",
    "file://otherhost/etc/hostname",
    STYLES.as_uri() + "/../renderer/cli.py",
    STYLES.as_uri() + "/../../../../etc/hostname",
    STYLES.as_uri() + "/%2e%2e/renderer/cli.py",
    FONTS.as_uri() + "/../styles/../../etc/hostname",
    STYLES.as_uri() + "/no-such-file.css",
    STYLES.as_uri(),  # a folder, not a file
    "ftp://example.org/x.css",
    "javascript:alert(1)",
])
def test_everything_else_is_refused(fetcher, url):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


@pytest.mark.parametrize("url", ["file:///tmp/%00x", "file:///" + "a" * 5000],
                         ids=["nul-byte", "name-too-long"])
def test_unusable_file_names_are_refused_too(fetcher, url):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)


def test_a_link_inside_an_allowed_folder_that_points_out_is_refused(fetcher, tmp_path,
                                                                      secret, monkeypatch):
    """The fetcher resolves links before checking the folder (on a stand-in asset folder,
    so that the shared styles/ is never touched)."""
    secret_path, _ = secret
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "ok.css").write_text("p {}")
    (assets / "link.css").symlink_to(secret_path)
    monkeypatch.setattr(sandbox, "ALLOWED_ROOTS", (assets.resolve(),))

    assert fetcher.fetch((assets / "ok.css").as_uri()).read() == b"p {}"
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch((assets / "link.css").as_uri())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_web_urls_are_refused_before_any_connection(fetcher, listener, scheme):
    port = listener.getsockname()[1]
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(f"{scheme}://127.0.0.1:{port}/style.css")
    assert connections(listener) == 0


def test_the_listener_would_have_seen_a_connection(listener):
    """The check above can fail: a real connection to the listener is counted."""
    with socket.create_connection(listener.getsockname(), timeout=2):
        pass
    assert connections(listener) == 1


def test_refused_pngs_stay_refused_even_when_valid(fetcher, tmp_path):
    """A perfectly good image outside the project is still refused."""
    image = tmp_path / "fine.png"
    image.write_bytes(png_bytes(10, 10))
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(image.as_uri())


def test_the_compositions_pictures_are_served_and_nothing_else_by_that_name(fetcher):
    own = sandbox.sandbox_fetcher_class()({"press-image:1": "data:text/plain;base64,aGVsbG8="})
    assert own.fetch("press-image:1").read() == b"hello"
    for other, url in ((own, "press-image:2"), (fetcher, "press-image:1")):
        with pytest.raises(FatalURLFetchingError):
            other.fetch(url)
        assert other.refused == [url]


def test_pictures_are_named_by_short_urls_not_inlined():
    import re

    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue

    prepared = prepare_issue(load_issue(Path(__file__).parents[2] / "issues" / "2022-03"))
    for edition in ("print", "email"):
        composed = compose(prepared, edition)
        named = re.findall(r'src="([^"]*)"', composed.html)
        assert named and set(named) == set(composed.images), edition  # every one served
        assert "data:" not in composed.html  # megabytes of base64 the HTML parser skips
        assert composed.standalone_html().count("data:image/") == len(named)
        assert all(url.startswith("data:image/") for url in composed.images.values())
        assert len(set(composed.images.values())) == len(composed.images)  # one URL a picture
