"""The outbox: one RFC 5322 message per subscriber as an .eml file (CRLF, exactly as sent)."""

from __future__ import annotations

import re
from pathlib import Path

from renderer.deliver.files import ensure_folder, write_atomically
from renderer.deliver.mail.message import MailPlan, build_message, message_bytes
from renderer.errors import PressError

OUTBOX_MARKER = ".press-outbox"  # names the issue whose messages the folder holds

def write_outbox(plan: MailPlan, out_dir: Path) -> list[Path]:
    """Write one .eml file per subscriber (CRLF, as sent), each atomically (deliver.files); return the paths."""
    out_dir = Path(out_dir)
    ensure_folder(out_dir)
    _claim(out_dir, plan)
    paths = []
    for number, subscriber in enumerate(plan.subscribers, start=1):
        path = out_dir / f"{number:04d}-{_file_safe(subscriber.email)}.eml"
        write_atomically(path, message_bytes(plan, build_message(plan, subscriber)))
        paths.append(path)
    return paths


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", text)[:120]



def _claim(out_dir: Path, plan: MailPlan) -> None:
    """One issue per outbox folder: another issue's messages are never overwritten."""
    issue = plan.issue
    mine = f"{issue.slug} {issue.key} {Path(issue.folder).resolve()}\n"
    marker = out_dir / OUTBOX_MARKER
    try:
        recorded = marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        recorded = None
    if recorded is None and any(out_dir.glob("*.eml")):
        recorded = "(unknown: .eml files without a record of their issue)\n"
    if recorded is not None and recorded != mine:
        raise PressError(
            f"The outbox folder already holds the messages of another issue: {recorded.strip()}; "
            f"writing {issue.slug} {issue.key} there would overwrite them.",
            file=out_dir,
            fix="Give --out an empty folder (one per issue).",
        )
    write_atomically(marker, mine.encode("utf-8"))
