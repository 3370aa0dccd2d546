"""A build leaves nothing in the temporary folder: WeasyPrint's @font-face folder
(10-17 MB) goes into a folder of the build's own, removed when its typesetting
processes end, which leave with os._exit and never run WeasyPrint's own clean-up
(renderer.build._Typesetters, renderer.typeset.weasyprint70.stylesheets)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import run_cli
from tests.tiny_issue import write_tiny_issue, write_tiny_issues


@pytest.mark.parametrize("editions", [("print", "email"), ("email",)],
                         ids=["typesetting processes", "in the build's process"])
def test_a_build_leaves_no_weasyprint_folder_in_tmp(tmp_path, editions):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    issue = write_tiny_issue(tmp_path / "issue")
    result = run_cli("build", issue, "--out", tmp_path / "dist",
                     *(f"--edition={edition}" for edition in editions),
                     env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "2022-03").is_dir()
    assert sorted(p.name for p in temporary.iterdir()) == []
    # Up to date: the typesetting processes, started before the build knows it, are
    # stopped unused, and take their folder with them
    again = run_cli("build", issue, "--out", tmp_path / "dist",
                    *(f"--edition={edition}" for edition in editions),
                    env={"TMPDIR": str(temporary)})
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("up to date") == len(editions), again.stderr
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_several_issues_at_once_leave_no_weasyprint_folder_in_tmp(tmp_path):
    """One worker process an issue (renderer.build.build_many): each typesets in its own
    process, which leaves with os._exit; each left 16 MB behind."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    folders = write_tiny_issues(tmp_path, ("2022-02", "2022-03"))
    result = run_cli("build", *folders, "--out", tmp_path / "dist", "--edition", "email",
                     env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "dist").glob("*/*-email.pdf"))) == 2
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_the_folder_of_a_killed_build_is_removed_by_the_next(tmp_path):
    """SIGKILL leaves a build no chance to remove its typesetting folder: the next build
    removes those whose build is gone, and leaves a running build's alone."""
    import subprocess
    import sys

    temporary = tmp_path / "tmp"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    abandoned = temporary / f"press-typesetting-{gone.pid}-abc123"
    running = temporary / f"press-typesetting-{os.getpid()}-def456"
    for folder in (abandoned, running):
        (folder / "weasyprint-x").mkdir(parents=True)
    issue = write_tiny_issue(tmp_path / "issue")
    result = run_cli("build", issue, "--out", tmp_path / "dist", "--edition", "print",
                     "--edition", "email", env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in temporary.iterdir()) == [running.name]
