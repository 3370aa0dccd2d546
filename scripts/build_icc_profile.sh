#!/usr/bin/env bash
# Regenerate styles/profiles/FOGRA39L-coated.icc, the CMYK output profile the print
# edition declares as its PDF/X-4 output intent (ISO 15930-7) and converts figures
# through.
#
# Input: Fogra's FOGRA39L characterization data (ISO 12647-2:2004/Amd 1, coated
# paper, the "ISO Coated v2" printing condition) as shipped by Debian's
# icc-profiles-free package under the Zlib licence. ArgyllCMS `colprof` builds an
# ICC output profile (A2B and B2A tables) from the measurements.
#
# Usage: scripts/build_icc_profile.sh          (from anywhere; needs root to apt-get)
# See styles/profiles/README.md for the choices and the licences.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/styles/profiles/FOGRA39L-coated.icc"

TI3=/usr/share/color/icc/FOGRA39L.ti3
TI3_SHA256=e44e6dfa81633588db98b5613a821d4a936d3d9438d2eb983083c3232df393fa
SRGB=/usr/share/color/argyll/ref/sRGB.icm   # source gamut for the perceptual table

# Pinned Debian versions (bookworm). A different version may give a different
# profile; the check stops rather than silently changing the print colours.
declare -A PINNED=(
    [icc-profiles-free]="2.0.1+dfsg-1.1"
    [argyll]="2.3.1+repack-1.1+b1"
    [argyll-ref]="2.3.1+repack-1.1"
)

installed_version() {
    dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null \
        | awk '$3 == "installed" {print $4}'
}

missing=()
for pkg in "${!PINNED[@]}"; do
    [[ -n "$(installed_version "$pkg")" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    apt-get install -y "${missing[@]}" >&2
fi
for pkg in "${!PINNED[@]}"; do
    have="$(installed_version "$pkg")"
    if [[ "$have" != "${PINNED[$pkg]}" ]]; then
        echo "error: $pkg is $have, expected ${PINNED[$pkg]} (update PINNED after checking the new profile)" >&2
        exit 1
    fi
done
echo "$TI3_SHA256  $TI3" | sha256sum --check --quiet -

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$TI3" "$work/FOGRA39L.ti3"

# -qm -bm  medium-quality A2B/B2A grids: keeps the file well under 1 MB while the
#          colorimetric error stays below the measurement noise (see README).
# -kr      black generation ramping linearly from none at white to full at black
#          (Argyll's default GCR, a middle road for sheet-fed offset on coated paper).
# -l300    total area coverage 300 %, the project's default print.ink_limit, so
#          figures converted through the profile pass the preflight ink check.
# -L95     black limit of the ISO Coated v2 300 % separations.
# -S sRGB  gamut-map sRGB (the figures' colour space) into the perceptual and
#          saturation tables; -cmt/-dpp: viewed on a monitor, proofed as a print.
# -nc      do not embed the .ti3 measurements in the profile (size).
# -A/-M/-D/-C  manufacturer, model, description and copyright tags.
(
    cd "$work"
    colprof -v -qm -bm -kr -l300 -L95 \
        -S "$SRGB" -cmt -dpp -nc \
        -A "bilingual-press" \
        -M "FOGRA39L characterization data (Fogra), via Debian icc-profiles-free" \
        -D "FOGRA39L coated, ISO 12647-2:2004 / ISO Coated v2 condition, TAC 300%" \
        -C "Generated with ArgyllCMS colprof from FOGRA39L.ti3 (Zlib). Profile: Zlib licence." \
        -O FOGRA39L-coated.icc FOGRA39L >&2
)
# colprof writes its creation time into the ICC header (bytes 24-35, dateTimeNumber,
# ICC.1 7.2.8) and the profile ID is not set; fix the date so rebuilding gives
# the same bytes.
python3 - "$work/FOGRA39L-coated.icc" <<'EOF'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[24:36] = struct.pack(">6H", 2006, 12, 1, 0, 0, 0)  # FOGRA39L's CREATED date
open(path, "wb").write(bytes(data))
EOF
mkdir -p "$(dirname "$OUT")"
mv "$work/FOGRA39L-coated.icc" "$OUT"
ls -l "$OUT" >&2
sha256sum "$OUT"
