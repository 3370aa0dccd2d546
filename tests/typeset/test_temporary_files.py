"""A build leaves nothing in the temporary folder: WeasyPrint's @font-face folder
(10-17 MB a typesetting) is removed even by the forked typesetters, which leave with
os._exit and never run WeasyPrint's own clean-up (renderer.typeset.weasyprint70.fonts)."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.tiny_issue import write_tiny_issue


def test_a_build_leaves_no_weasyprint_folder_in_tmp(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    issue = write_tiny_issue(tmp_path / "issue")
    result = run_cli("build", issue, "--out", tmp_path / "dist", "--edition", "print",
                     "--edition", "email", env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "2022-03").is_dir()
    assert sorted(p.name for p in temporary.iterdir()) == []
