#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine with Python 3.11+:
# the few Debian packages WeasyPrint and the checks need, then .venv with the
# project and its pinned Python packages. Safe to run again: each step is skipped
# when it is already done (the venv is refreshed when pyproject.toml changes).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pango/HarfBuzz for WeasyPrint; libharfbuzz-subset0 subsets CJK fonts in 0.4 s
# instead of 12 s; python3-venv because Debian's Python ships without ensurepip;
# fonts-noto-cjk and fonts-noto-core: the full Noto fonts (SIL OFL 1.1) from which a build
# subsets the rare characters the bundled fonts/ lack (renderer/prepare/fonts.py);
# ghostscript and qpdf: the independent readers of the print outputs (make-issue check
# --measure, impose, proof, ticket: ink per plate, soft proof, qpdf --check).
DEBIAN_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
                 libfontconfig1 python3-venv fonts-noto-cjk fonts-noto-core ghostscript qpdf)
# `setup.sh --test`: also chromium (Debian's, driven by Playwright: no browser download)
# for the browser tests, poppler-utils and qpdf, readers of the PDFs independent of
# the press, and the upstream fonts that the font tests subset again (to prove
# scripts/build_fonts.py reproduces fonts/ byte for byte).
if [ "${1:-}" = "--test" ]; then
  # zbar-tools decodes the back cover's QR code; unicode-data is the Unihan database the
  # font tests read the character lists from (scripts/build_fonts.py).
  DEBIAN_PACKAGES+=(poppler-utils qpdf chromium zbar-tools unicode-data)
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))." >&2
  exit 2
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: preparing .venv (Python packages pinned in pyproject.toml)" >&2
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  # Quiet: setuptools' notices about editable installs are warnings for package
  # authors, not for the person setting up; a failure still prints pip's error.
  export PYTHONWARNINGS=ignore
  pip_install() {
    .venv/bin/python -m pip install -q --disable-pip-version-check "$@" 2>&1 \
      | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
    return "${PIPESTATUS[0]}"
  }
  pip_install --upgrade pip
  pip_install -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
