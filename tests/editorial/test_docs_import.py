"""docs/formats.md's import section runs as written: its `make-issue` lines, in a copy of
the repository's issues/ and docs/examples/ (in this process, through click's runner), and
its YAML snippets are what the loader reads."""

from __future__ import annotations

import os
import re
import shlex
import shutil

import yaml

from renderer.load import load_issue
from tests.conftest import ROOT
from tests.test_bad_inputs import run_in_process

SECTION = re.compile(r"## Importing pasted text.*?\n(.*?)\n## ", re.S)


def section() -> str:
    return SECTION.search((ROOT / "docs" / "formats.md").read_text(encoding="utf-8"))[1]


def commands() -> list[list[str]]:
    lines = [line.split("  #")[0].strip()
             for block in re.findall(r"```sh\n(.*?)```", section(), re.S)
             for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("make-issue")]


def test_every_import_command_runs_as_written(tmp_path):
    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        ran = []
        for argv in commands():
            result = run_in_process(*argv[1:])
            assert result.returncode in (0, 1), (argv, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr
            ran.append(argv[1])
    finally:
        os.chdir(here)
    assert ran.count("import") >= 3 and "lint" in ran
    issue = load_issue(tmp_path / "issues" / "2022-05")
    assert (issue.year, issue.month, issue.number) == (2022, 5, 4)  # beside 2022-03 (no. 3)
    assert issue.name.en == "Chongqing Foreign Affairs Newsletter"
    assert load_issue(tmp_path / "other" / "2022-05").name.zh == "重庆外事"


def test_the_yaml_snippets_are_what_the_loader_reads(tmp_path):
    snippets = [yaml.safe_load(block)
                for block in re.findall(r"```yaml\n(.*?)```", section(), re.S)]
    names, reviewed = snippets
    issue = tmp_path / "2022-02"
    shutil.copytree(ROOT / "issues" / "2022-02", issue)
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + yaml.safe_dump(
        names, allow_unicode=True), encoding="utf-8")
    assert load_issue(issue).hant_names == ("黃錦輝",)
    assert set(reviewed["reviewed"]) == {"pair-3-truncated", "align-uncertain"}
