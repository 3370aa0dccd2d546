"""Rebuilds: nothing changed -> nothing rebuilt; a change -> that issue rebuilt; many issues.

The cache does not look at what the content is, so most of these build the tiny issue
(tests/tiny_issue.py): the same decisions at a fraction of the sample's cost."""

from __future__ import annotations

import os

from renderer.watch import WarmBuilder
from tests.conftest import pdf_text, run_in_process
from tests.tiny_issue import OUTPUTS, write_tiny_issue, write_tiny_issues


def test_no_op_rebuild_says_up_to_date_and_keeps_the_files(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    out = tmp_path / "dist"
    first = run_in_process("build", issue, "--out", out)
    assert first.returncode == 0, first.stderr
    pdfs = sorted((out / "2022-03").glob("*.pdf"))
    assert len(pdfs) == 2
    before = {p: p.stat().st_mtime_ns for p in pdfs}

    again = run_in_process("build", issue, "--out", out)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("up to date") == 3  # print, email, web
    assert {p: p.stat().st_mtime_ns for p in pdfs} == before

    forced = run_in_process("build", issue, "--out", out, "--force")
    assert forced.returncode == 0 and "up to date" not in forced.stderr


def test_an_edit_or_a_deleted_output_triggers_a_rebuild(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    out = tmp_path / "dist"
    assert run_in_process("build", issue, "--out", out).returncode == 0
    email = out / OUTPUTS["email"]
    email.unlink()
    rebuilt = run_in_process("build", issue, "--out", out)
    assert rebuilt.returncode == 0 and rebuilt.stderr.count("up to date") == 2  # print, web
    assert email.is_file()

    article = sorted((issue / "articles").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8").replace(
        "## English\n\n", "## English\n\nA freshly added sentence. ", 1), encoding="utf-8")
    edited = run_in_process("build", issue, "--out", out)
    assert edited.returncode == 0 and "up to date" not in edited.stderr
    for edition in ("print", "email"):
        assert "A freshly added sentence." in pdf_text(out / OUTPUTS[edition])


def test_warm_builder_rebuilds_after_an_edit(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    builder = WarmBuilder(issue, tmp_path / "dist")
    first = builder.rebuild(("email",))
    assert [e.up_to_date for e in first.editions] == [False]
    assert [e.up_to_date for e in builder.rebuild(("email",)).editions] == [True]
    article = sorted((issue / "articles").glob("*.md"))[-1]
    article.write_text(article.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert [e.up_to_date for e in builder.rebuild(("email",)).editions] == [False]


def test_many_issues_build_across_cores(tmp_path):
    folders = write_tiny_issues(tmp_path, ("2022-02", "2022-03"))
    out = tmp_path / "dist"
    result = run_in_process("build", *folders, "--out", out, "--edition", "email")
    assert result.returncode == 0, result.stderr
    for month in ("2022-02", "2022-03"):
        assert len(list((out / month).glob(f"*-{month}-email.pdf"))) == 1


def _unfolded(text: str) -> str:
    """Console output without its whitespace: the console folds long lines anywhere."""
    return "".join(text.split())


def test_two_issues_writing_one_output_are_refused_before_either_is_built(tmp_path):
    first, second = write_tiny_issues(tmp_path / "a", ("2022-03",)) + write_tiny_issues(
        tmp_path / "b", ("2022-03",))
    out = tmp_path / "dist"
    result = run_in_process("build", first, second, "--out", out, "--edition", "email")
    assert result.returncode != 0
    said = _unfolded(result.stderr)
    assert _unfolded(f"{first} and {second} are both for 2022-03 and would both write "
                     "2022-03/test-news-2022-03-email.pdf") in said, result.stderr
    assert "issue.yaml" in said and "month" in said and "different--out" in said
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.rglob("*.pdf"))
    # another newsletter of the same month: its PDFs have their own names, its web
    # edition would take the first one's place
    manifest = second / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "slug: test-news", "slug: other-news"), encoding="utf-8")
    assert run_in_process("build", first, second, "--out", out, "--edition",
                          "email").returncode == 0
    web = run_in_process("build", first, second, "--out", tmp_path / "web-dist")
    assert web.returncode != 0 and "wouldbothwrite2022-03/web" in _unfolded(web.stderr)
    # the same folder named twice is one issue, built once
    again = run_in_process("build", first, tmp_path / "a" / ".." / "a" / "2022-03", "--out",
                           out, "--edition", "email")
    assert again.returncode == 0, again.stderr
    assert _unfolded(again.stderr).count(_unfolded(f"{first}: email")) == 1
    assert "1/1" in again.stderr


def test_files_in_dot_folders_count_as_inputs(tmp_path):
    """The loader reads whatever the manifest and the articles name, `.drafts/` and
    `.img/` included: editing such a file rebuilds, it is not "up to date"."""
    from tests.tiny_issue import png_bytes

    issue = write_tiny_issue(tmp_path / "issue")
    (issue / ".drafts").mkdir()
    (issue / "articles" / "02-two.md").rename(issue / ".drafts" / "02-two.md")
    (issue / ".img").mkdir()
    (issue / ".img" / "fig.png").write_bytes(png_bytes(1600, 900))
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "articles/02-two.md", ".drafts/02-two.md"), encoding="utf-8")
    first_article = issue / "articles" / "01-one.md"
    first_article.write_text(first_article.read_text(encoding="utf-8").replace(
        "  zh: 一篇短文\n---\n",
        "  zh: 一篇短文\nfigures:\n  - image: .img/fig.png\n"
        "    caption: {en: A picture, zh: 一张图}\n---\n"), encoding="utf-8")
    out = tmp_path / "out"
    first = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert first.returncode == 0, first.stderr
    assert run_in_process("build", issue, "--out", out, "--edition", "email").stderr.count("up to date") == 1

    (issue / ".img" / "fig.png").write_bytes(png_bytes(1700, 900))
    figure_edited = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert figure_edited.returncode == 0, figure_edited.stderr
    assert "up to date" not in figure_edited.stderr

    draft = issue / ".drafts" / "02-two.md"
    draft.write_text(draft.read_text(encoding="utf-8").replace("Only one", "Just one"),
                     encoding="utf-8")
    article_edited = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert article_edited.returncode == 0, article_edited.stderr
    assert "up to date" not in article_edited.stderr


def test_an_output_folder_inside_the_issue_is_not_an_input(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    out = issue / ".dist"
    assert run_in_process("build", issue, "--out", out, "--edition", "email").returncode == 0
    again = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert again.returncode == 0 and again.stderr.count("up to date") == 1, again.stderr


# --- the project's files are read again only when their stat changes -----------------


def _project(tmp_path, monkeypatch, settled_ns: int):
    from renderer.deliver import cache

    styles = tmp_path / "project" / "styles"
    styles.mkdir(parents=True)
    sheet = styles / "a.css"
    sheet.write_text("p { color: black }")
    monkeypatch.setattr(cache, "PROJECT_INPUTS", (("styles", styles, None),))
    monkeypatch.setattr(cache, "SETTLED_NS", settled_ns)
    issue = tmp_path / "issue"
    issue.mkdir()
    (issue / "issue.yaml").write_text("name: x\n")
    read = []
    real = cache._content_digest
    monkeypatch.setattr(cache, "_content_digest", lambda path: read.append(path.name) or real(path))
    return cache, issue, sheet, read


def test_a_project_file_is_read_again_only_when_its_stat_changes(tmp_path, monkeypatch):
    cache, issue, sheet, read = _project(tmp_path, monkeypatch, settled_ns=-1)
    out = tmp_path / "dist"
    first = cache.fingerprints(issue, ("print",), out_root=out)
    assert cache.fingerprints(issue, ("print",), out_root=out) == first
    assert read.count("a.css") == 1  # remembered, not read the second time
    # Same size, and the modification time put back: the change time still moves.
    stamp = sheet.stat().st_mtime_ns
    sheet.write_text("p { color: white }")
    os.utime(sheet, ns=(stamp, stamp))
    assert cache.fingerprints(issue, ("print",), out_root=out) != first
    assert read.count("a.css") == 2


def test_a_file_changed_just_now_is_not_remembered(tmp_path, monkeypatch):
    cache, issue, sheet, read = _project(tmp_path, monkeypatch, settled_ns=10**12)
    out = tmp_path / "dist"
    cache.fingerprints(issue, ("print",), out_root=out)
    cache.fingerprints(issue, ("print",), out_root=out)
    assert read.count("a.css") == 2
    assert not (out / cache.CACHE_FOLDER / cache.DIGESTS).exists()
