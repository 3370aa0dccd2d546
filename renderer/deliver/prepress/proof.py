"""Soft proof: the print edition as the press will print it, on screen.

Ghostscript renders the pages in CMYK (``tiff32nc``, overprint applied as on the press);
Pillow's ImageCms (LittleCMS) converts them through the file's own output-intent profile
(FOGRA39) to sRGB with the absolute colorimetric intent, so paper white is simulated:
the unprinted paper shows as the profile's measured paper, not as screen white.
"""

from __future__ import annotations

import io
from pathlib import Path

from renderer.errors import PressError

PROOF_PPI = 100


def output_profile(pdf: Path) -> bytes:
    """The ICC profile of the PDF/X output intent."""
    import pikepdf

    with pikepdf.open(pdf) as document:
        for intent in document.Root.get("/OutputIntents", []):
            profile = intent.get("/DestOutputProfile")
            if profile is not None:
                return profile.read_bytes()
    raise PressError("has no output intent profile to proof through.", file=pdf,
                     fix="Soft-proof the print edition (PDF/X-4 with its CMYK output intent).")


def proof_images(pdf: Path, *, ppi: int = PROOF_PPI) -> list:
    """The pages as sRGB Pillow images, proofed through the output intent."""
    from PIL import ImageCms

    from renderer.verify.ghostscript import render_cmyk

    cmyk = ImageCms.ImageCmsProfile(io.BytesIO(output_profile(pdf)))
    transform = ImageCms.buildTransform(
        cmyk, ImageCms.createProfile("sRGB"), "CMYK", "RGB",
        renderingIntent=ImageCms.Intent.ABSOLUTE_COLORIMETRIC)
    return [ImageCms.applyTransform(page, transform) for page in render_cmyk(pdf, ppi=ppi, smooth=True)]


def soft_proof(pdf: Path, folder: Path, *, ppi: int = PROOF_PPI) -> list[Path]:
    """Write one sRGB PNG per page, ``<stem>-proof-NN.png``, into ``folder``."""
    from renderer.deliver import files

    pdf, folder = Path(pdf), Path(folder)
    files.ensure_folder(folder)
    written = []
    for number, rgb in enumerate(proof_images(pdf, ppi=ppi), start=1):
        out = io.BytesIO()
        rgb.save(out, "PNG", dpi=(ppi, ppi), optimize=False)
        target = folder / f"{pdf.stem}-proof-{number:02d}.png"
        files.write_atomically(target, out.getvalue())
        written.append(target)
    return written
