"""What WeasyPrint 70 leaves undone for the press, done on the written file with pikepdf.

Both editions get a file identifier derived from the issue (ISO 32000-1, 14.4), so that
two builds of the same issue are byte-identical. The print edition also gets:
- crop marks in 100 % K (WeasyPrint strokes them in DeviceRGB black);
- a BleedBox of exactly the manifest's bleed (WeasyPrint's is "at most 10 pt" outside
  the trim; the CSS bleed is wider, see compose.MARKS_OFFSET_MM, so the marks sit
  outside the bleed, where the guillotine throws them away);
- an XMP DocumentID derived from the issue instead of a random one.
The email edition's structure tree is rewritten to follow meaning, not layout
(``structure``: PDF/UA-1, one ``/Sect`` per language in every ``/Art``).
"""

from __future__ import annotations

import io
import re
import uuid

from renderer.typeset import structure


def finish(pdf: bytes, edition: str, *, bleed_mm: float, document_id: str) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        if edition == "print":
            _finish_print(document, bleed_mm, document_id)
        elif "/StructTreeRoot" in document.Root:
            structure.restructure(document)
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _finish_print(document, bleed_mm: float, document_id: str) -> None:
    import pikepdf

    bleed = bleed_mm * 72 / 25.4
    for page in document.pages:
        left, bottom, right, top = (float(v) for v in page.TrimBox)
        page.BleedBox = pikepdf.Array([left - bleed, bottom - bleed,
                                       right + bleed, top + bleed])
        for xobject in page.Resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form":
                _rgb_black_to_k(xobject)
    xmp = document.Root.Metadata.read_bytes()
    document.Root.Metadata.write(re.sub(
        rb"xmp\.did:[0-9a-fA-F-]{36}", f"xmp.did:{uuid.UUID(document_id)}".encode(), xmp))


def _rgb_black_to_k(form) -> None:
    import pikepdf

    operations = pikepdf.parse_content_stream(form)
    changed = False
    for index, (operands, operator) in enumerate(operations):
        if str(operator) in {"rg", "RG"} and [float(v) for v in operands] == [0, 0, 0]:
            cmyk = "k" if str(operator) == "rg" else "K"
            operations[index] = pikepdf.ContentStreamInstruction(
                [0, 0, 0, 1], pikepdf.Operator(cmyk))
            changed = True
    if changed:
        form.write(pikepdf.unparse_content_stream(operations))
