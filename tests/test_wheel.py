"""The package works once installed: a wheel built from the checkout, installed into a
fresh virtualenv, builds the sample from another directory (styles/ and fonts/ travel
inside it as renderer.styles and renderer.fonts)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

# One worker builds and installs the wheel, for both tests.
pytestmark = pytest.mark.xdist_group("wheel")


@pytest.fixture(scope="session")  # its tests are not in a row: the long one goes first
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what the wheel is made of, so that setuptools' build/ folder
    # lands there and not in the checkout.
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("renderer", "styles", "fonts"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "--disable-pip-version-check", "-w", work, source],
                   check=True, capture_output=True, cwd=work)
    [wheel] = work.glob("bilingual_press-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    # The dependencies come from this environment's site-packages, added as a plain path:
    # its .pth files (the checkout's editable install) are not run, so only the wheel
    # provides `renderer`.
    site = Path(subprocess.check_output(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        text=True).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--target", site, wheel],
                   check=True, capture_output=True)
    # pip --target puts the console script beside the packages; an installer would put
    # it in bin/: the same file, started by the venv's python.
    (venv / "bin" / "make-issue").write_text(
        f"#!{venv / 'bin' / 'python'}\n" + (site / "bin" / "make-issue").read_text().split("\n", 1)[1])
    (venv / "bin" / "make-issue").chmod(0o755)
    return venv


def test_the_wheel_carries_styles_and_fonts(installed):
    [wheel] = installed.parent.glob("bilingual_press-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in ("renderer/styles/issue.html.j2", "renderer/styles/mail/body.html.j2",
                  "renderer/styles/profiles/FOGRA39L-coated.icc", "renderer/styles/serve/index.html",
                  "renderer/fonts/PressSerifSC-Regular.otf", "renderer/fonts/OFL-NotoCJK.txt"):
        assert asset in names
    assert not any(name.startswith(("tests/", "issues/")) for name in names)
    # every package of the checkout is in the wheel (pyproject's list is explicit)
    packages = {p.parent.relative_to(ROOT).as_posix()
                for p in (ROOT / "renderer").rglob("__init__.py")}
    assert {p for p in packages if f"{p}/__init__.py" not in names} == set()


@pytest.mark.long
def test_installed_make_issue_builds_the_sample_from_elsewhere(installed, tmp_path):
    issue = tmp_path / "my-issue"
    shutil.copytree(SAMPLE, issue)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    make_issue = installed / "bin" / "make-issue"
    version = subprocess.run([make_issue, "--version"], capture_output=True, text=True,
                             cwd=elsewhere, check=True)
    assert version.stdout.strip().endswith("0.1.0")
    where = subprocess.run([installed / "bin" / "python", "-c",
                            "import renderer.assets as a; print(a.STYLES)"],
                           capture_output=True, text=True, cwd=elsewhere, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout
    result = subprocess.run([make_issue, "build", issue, "--out", "dist", "--edition", "email"],
                            capture_output=True, text=True, cwd=elsewhere, timeout=120)
    assert result.returncode == 0, result.stderr
    pdf = elsewhere / "dist" / "2022-02" / "cqfao-newsletter-2022-02-email.pdf"
    assert pdf.stat().st_size > 100_000
