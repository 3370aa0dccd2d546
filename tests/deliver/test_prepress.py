"""Issue 16 on the sample: saddle stitch to 8 pages, `impose` (2 A3 sheets, 8-1, 2-7 /
6-3, 4-5, read back), overprint read back and rendered, per-plate coverage, the soft
proof, the job ticket and the preflight report. One build and one run of each command,
shared by the tests (module fixtures)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import yaml
from PIL import Image

from renderer.verify import ghostscript
from renderer.verify.preflight import preflight
from tests.conftest import SAMPLE, run_in_process

pytestmark = [pytest.mark.xdist_group("prepress"),  # one worker builds and runs the commands
              pytest.mark.long]

TICKET = {"binding": "saddle-stitch", "quantity": 500, "stock": "Coated silk 115 g/m²",
          "finishing": "Fold, 2 wire stitches, trim", "delivery": "2022-03-04, 1 Example Road",
          "contact": "Print desk, print@example.org"}


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("prepress")
    folder = root / "issue"
    shutil.copytree(SAMPLE, folder)
    manifest = folder / "issue.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["print"] = TICKET
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    dist = root / "dist"
    outputs = {}
    for command in (["build", folder, "--out", dist, "--edition", "print"],
                    ["impose", folder, "--dist", dist],
                    ["proof", folder, "--dist", dist, "--ppi", "50"],
                    ["ticket", folder, "--dist", dist]):
        result = run_in_process(*command)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        outputs[command[0]] = result.stdout
    stem = dist / "2022-02" / "cqfao-newsletter-2022-02-print"
    return {"folder": folder, "dist": dist, "print": stem.with_suffix(".pdf"),
            "imposed": Path(f"{stem}-imposed-A3.pdf"), "spreads": Path(f"{stem}-reader-spreads.pdf"),
            "proofs": sorted((stem.parent / "proof").glob("*.png")),
            "json": Path(f"{stem}-job.json"), "sheet": Path(f"{stem}-job.pdf"),
            "report": Path(f"{stem}-preflight-report.pdf"), "stdout": outputs}


def _text(pdf: Path, page: int, crop: tuple[float, float, float, float] | None = None) -> list[str]:
    args = ["pdftotext", "-f", str(page), "-l", str(page)]
    if crop:
        args += ["-x", str(int(crop[0])), "-y", str(int(crop[1])), "-W", str(int(crop[2])),
                 "-H", str(int(crop[3]))]
    out = subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_saddle_stitch_builds_to_eight_pages_and_impose_gives_two_a3_sheets(job):
    with pikepdf.open(job["print"]) as source:
        assert len(source.pages) == 8
    with pikepdf.open(job["imposed"]) as imposed:
        assert len(imposed.pages) == 4  # 2 sheets, front and back
        for page in imposed.pages:
            width, height = (float(v) for v in page.MediaBox[2:])
            assert abs(width - 1190.55) < 0.5 and abs(height - 841.89) < 0.5  # A3 landscape
            assert [float(v) for v in page.TrimBox] == [float(v) for v in page.MediaBox]
        assert imposed.Root.OutputIntents[0].S == "/GTS_PDFX"
    # placed pages read back: the text of each half is the text of the source page
    sources = {n: _text(job["print"], n) for n in range(1, 9)}
    order = []
    for sheet_side in range(1, 5):
        halves = []
        for x in (0, 842):  # pdftotext at 72 dpi: pixels = points; A4 width 595
            words = _text(job["imposed"], sheet_side, (x - 247 if x else 0, 0, 595, 842))
            match = [n for n, text in sources.items() if text and words == text]
            halves.append(match[0] if match else None)
        order.append(tuple(halves))
    assert order[0][1] == 1 and order[1][0] == 2  # the sides that have text to match
    assert order == [(8, 1), (2, 7), (6, 3), (4, 5)], order


def test_imposed_sheets_and_spreads_pass_preflight_ghostscript_and_qpdf(job):
    # `impose` preflights both with Ghostscript and qpdf --check and fails otherwise
    assert job["stdout"]["impose"].count("preflight passed (23 checks)") == 2
    report = preflight(job["spreads"], bleed_mm=0.0)
    assert report.ok and len(report.checks) == 19, report.to_text()


def test_sra3_sheet_has_bleed_marks_and_creep(job, tmp_path):
    from renderer.deliver.prepress.impose import impose

    imposed = impose(job["print"], tmp_path / "sra3.pdf", sheet="SRA3", creep_mm=0.3)
    assert imposed.marks and imposed.bleed_mm == 3.0
    assert [s.shift_mm for s in imposed.sides] == [0.0, 0.0, 0.3, 0.3]
    report = preflight(imposed.path, bleed_mm=3.0)
    assert report.ok, report.to_text()
    assert "1 1 1 1" in report.check("printer-marks").evidence  # registration marks


def test_every_k_only_text_show_runs_under_overprint(job):
    """Read back with pikepdf: the ExtGState in force at each 100 % K Tj/TJ has /OP true."""
    shows = overprinting = 0
    with pikepdf.open(job["print"]) as pdf:
        for page in pdf.pages:
            states = page.Resources.get("/ExtGState", {})
            stack, op, fill = [], False, None
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name == "q":
                    stack.append((op, fill))
                elif name == "Q":
                    op, fill = stack.pop()
                elif name == "gs":
                    state = states[str(operands[0])]
                    if "/OP" in state:
                        op = bool(state.OP) and bool(state.op) and int(state.get("/OPM", 0)) == 1
                elif name in ("scn", "k"):
                    fill = tuple(round(float(v), 3) for v in operands)
                elif name in ("Tj", "TJ") and fill == (0, 0, 0, 1):
                    shows += 1
                    overprinting += op
    assert shows > 500 and overprinting == shows


def test_title_band_shows_no_white_halo_under_overprint_simulation(job):
    """Page 2's title band (cyan tint 10 %) rendered with -dOverprint=/simulate, then the
    black plate moved 2 px as a misregistered press would: no pixel of the band is paper."""
    [image] = ghostscript.render_cmyk(job["print"], ppi=150, first=2, last=2)
    band = image.crop((int(50 * 150 / 72), int(68 * 150 / 72), int(545 * 150 / 72),
                       int(139 * 150 / 72)))
    cyan, _, _, black = band.split()
    assert black.getextrema()[1] == 255  # the title is in the band
    assert cyan.getextrema()[0] >= 24  # the cyan plate is not knocked out under the text
    shifted = Image.new("L", black.size, 0)
    shifted.paste(black, (2, 2))
    white = sum(1 for c, k in zip(cyan.get_flattened_data(), shifted.get_flattened_data()) if c < 5 and k < 5)
    assert white == 0
    # and the RGB simulation Ghostscript itself offers: the band's lightest pixel is the tint
    out = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
                          "-dOverprint=/simulate", "-dUseTrimBox", "-r150", "-dFirstPage=2",
                          "-dLastPage=2", "-o", "-", str(job["print"])],
                         capture_output=True, check=True, timeout=60).stdout
    from io import BytesIO
    rgb = Image.open(BytesIO(out)).convert("RGB").crop(
        (int(50 * 150 / 72), int(68 * 150 / 72), int(545 * 150 / 72), int(139 * 150 / 72)))
    assert max(sum(pixel) for pixel in rgb.get_flattened_data()) < 3 * 250  # nowhere paper white


def test_per_plate_coverage_of_the_sample(job):
    report = preflight(job["print"], page_size="A4", page_multiple=4, measure=True)
    plates = report.measurements["plates"]
    assert len(plates) == 8
    print("\n" + report.check("ink-plates").evidence)  # the figures, for the record
    assert plates[1].c > 5 and plates[1].y > 2  # page 2: the tint band and the figure
    assert all(p.k > 0 for p in plates)
    assert report.check("ink-measured").status == "pass"


def test_soft_proof_simulates_paper_white(job):
    assert len(job["proofs"]) == 8
    with Image.open(job["proofs"][1]) as page:
        assert page.mode == "RGB" and abs(page.width - 413) <= 1  # A4 at 50 ppi
        paper = page.getpixel((3, page.height // 2))
    assert paper != (255, 255, 255) and min(paper) > 225  # FOGRA39 paper, not screen white


def test_job_ticket_and_sheet_and_report(job):
    ticket = json.loads(job["json"].read_text(encoding="utf-8"))
    data = job["print"].read_bytes()
    assert ticket["file"] == {"name": job["print"].name, "bytes": len(data),
                              "sha256": hashlib.sha256(data).hexdigest()}
    assert ticket["pages"] == 8 and ticket["trim_mm"] == [210.0, 297.0]
    assert ticket["bleed_mm"] == 3.0 and ticket["colours"].startswith("4/4")
    assert {k: ticket["print"][k] for k in TICKET} == TICKET
    assert ticket["imposition"]["order"] == ["8-1", "2-7", "6-3", "4-5"]
    with pikepdf.open(job["sheet"]) as sheet:
        assert len(sheet.pages) == 1
    words = " ".join(_text(job["sheet"], 1))
    assert "500" in words and ticket["file"]["sha256"] in words and "saddle-stitch" in words
    report = " ".join(_text(job["report"], 1) + _text(job["report"], 2))
    assert "PASS" in report and "overprint" in report and "ink-plates" in report
    with pikepdf.open(job["report"]) as pdf:
        images = sum(len(p.get_images()) for p in pdf.pages)
    assert images >= 8  # a thumbnail of every page


def test_check_on_the_folder_runs_the_builds_checks(job):
    result = run_in_process("check", job["folder"], "--dist", job["dist"])
    assert result.returncode == 0, result.stdout
    assert "20 passed" in result.stdout.splitlines()[0]
    assert "PASS  page-count" in result.stdout and "PASS  overprint" in result.stdout
