"""Delivery reports -> the suppression list: `make-issue bounces MAILDIR_OR_MBOX`.

Each message of the mailbox (a Maildir folder or an mbox file: where the bounce address's
mail is delivered) is classified:

1. Which subscriber? Every message was sent with a VERP envelope sender,
   `<bounce local>+<yyyy-mm>.<16 hex>@<domain>` (`mail.message.envelope_sender`); a bounce
   goes back to that address, so the tag found in the report names the subscriber even when
   the report names another address (a forward) or none. The hex is keyed
   (`PRESS_UNSUBSCRIBE_SECRET`): a forged report cannot name an address it does not know.
   The tags are matched against the subscriber list and the suppression list.
2. Hard or soft? flufl.bounce's detectors (RFC 3464 DSNs and the formats of the common
   mail servers) give the permanently and temporarily failing recipients; an RFC 3464
   status 4.x.x counts as soft even when the action is "failed" (a queue that expired).
   Hard bounces are suppressed at once; soft ones are counted per issue and suppress the
   address after `suppression.SOFT_BOUNCE_LIMIT` different issues.
3. A message that is not a report but carries a subscriber's unsubscribe token (the
   manifest's `unsubscribe_mailto` puts `{token}` in the mail a client sends) is an
   unsubscribe request: suppressed too.

Anything else (an auto-reply, a report naming nobody on the list) is counted and left
alone. Processing the same mailbox twice changes nothing the second time.
"""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from pathlib import Path

from renderer.deliver.mail.message import _checked_address, verp_tag
from renderer.deliver.mail.unsubscribe import unsubscribe_token
from renderer.deliver.subscribers import Subscriber, read_subscribers
from renderer.deliver.suppression import SuppressionList
from renderer.errors import PressError

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


@dataclass
class BounceReport:
    mailbox: Path
    messages: int = 0
    hard: dict[str, str] = field(default_factory=dict)  # address -> detail
    soft: dict[str, str] = field(default_factory=dict)
    unsubscribed: list[str] = field(default_factory=list)
    unmatched: int = 0  # reports naming nobody on the list
    other: int = 0  # not a delivery report nor an unsubscribe request
    newly_suppressed: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"{self.mailbox}: {self.messages} message(s): {len(self.hard)} hard bounce(s), "
            f"{len(self.soft)} soft bounce(s), {len(self.unsubscribed)} unsubscribe request(s), "
            f"{self.unmatched} report(s) naming no subscriber, {self.other} other message(s).",
            f"{len(self.newly_suppressed)} address(es) newly suppressed"
            + (": " + ", ".join(self.newly_suppressed) if self.newly_suppressed else "."),
        ]
        lines += [f"  hard {address}: {detail}" for address, detail in sorted(self.hard.items())]
        lines += [f"  soft {address}: {detail} (counted)" for address, detail in sorted(self.soft.items())]
        return "\n".join(lines)


def read_mailbox(path: Path) -> Iterator[Message]:
    """The messages of a Maildir folder or an mbox file, parsed as flufl.bounce expects."""
    path = Path(path)
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise PressError("is a folder but not a Maildir (it has no cur/ or new/ folder).", file=path,
                             fix="Give the Maildir folder of the bounce address, or an mbox file.")
        box = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, factory=None, create=False)
    else:
        raise PressError("does not exist.", file=path,
                         fix="Give the Maildir folder or mbox file the bounce address's mail goes to.")
    try:
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                yield email.message_from_binary_file(handle, policy=compat32)
    finally:
        box.close()


@dataclass(frozen=True)
class BounceContext:
    """What matching needs: the issue (key, slug), the VERP base, the subscribers."""

    issue: object
    bounce_mailbox: tuple[str, str]
    subscribers: tuple[Subscriber, ...]
    suppressed: tuple[Subscriber, ...] = ()


def bounce_context(issue, subscribers_csv: Path) -> BounceContext:
    settings = issue.email
    field_name = "email.bounce_address" if settings.bounce_address else "email.from"
    address = _checked_address(issue, settings.bounce_address or settings.sender, field_name)[1]
    local, domain = address.rsplit("@", 1)
    return BounceContext(issue, (local, domain), read_subscribers(Path(subscribers_csv)).valid)


def process_bounces(path: Path, plan_like, suppression: SuppressionList, *, write: bool = True) -> BounceReport:
    """Classify every message of the mailbox; record hard/soft bounces and unsubscribes.

    `plan_like` is a `BounceContext` or a MailPlan (the issue, the bounce mailbox, the list).
    """
    from flufl.bounce import all_failures

    issue = plan_like.issue
    local, domain = plan_like.bounce_mailbox
    verp = re.compile(re.escape(local) + r"\+(\d{4}-\d{2})\.([0-9a-f]{16})@" + re.escape(domain), re.I)
    known = {s.key for s in (*plan_like.subscribers, *plan_like.suppressed)} | set(suppression.entries)
    by_tag = {verp_tag(plan_like, address).split(".", 1)[1]: address for address in known}
    by_token = {unsubscribe_token(address): address for address in known}
    report = BounceReport(Path(path))
    before = {e.email for e in suppression.suppressed()}
    for message in read_mailbox(path):
        report.messages += 1
        text = _flat_text(message)
        match = verp.search(text)
        tagged = by_tag.get(match.group(2).lower()) if match else None
        issue_key = match.group(1) if match else issue.key
        temporary, permanent = all_failures(message)
        statuses = _dsn_statuses(message)
        failed = {(a.decode("ascii", "replace").lower(), "hard") for a in permanent}
        failed |= {(a.decode("ascii", "replace").lower(), "soft") for a in temporary}
        if failed:
            if tagged:  # the envelope names the subscriber: trust it over the report's address
                hard = any(kind == "hard" and statuses.get(a, "5") == "5" for a, kind in failed)
                targets = [(tagged, "hard" if hard else "soft", _detail(message, statuses))]
            else:
                targets = [(a, "hard" if kind == "hard" and statuses.get(a, "5") == "5" else "soft",
                            _detail(message, statuses)) for a, kind in sorted(failed) if a in known]
            if not targets:
                report.unmatched += 1
            for address, kind, detail in targets:
                if kind == "hard":
                    report.hard[address] = detail
                    suppression.add(address, "hard-bounce", issue=issue_key, detail=detail)
                else:
                    report.soft[address] = detail
                    suppression.add(address, "soft-bounce", issue=issue_key, detail=detail)
            continue
        if tagged:
            report.other += 1  # mail to a VERP address that no detector reads as a failure
            continue
        address = next((by_token[t] for t in re.findall(r"\b[0-9a-f]{32}\b", text.lower()) if t in by_token), None)
        if address and _looks_like_unsubscribe(message):
            report.unsubscribed.append(address)
            suppression.add(address, "unsubscribe", issue=issue.key, detail="unsubscribe mail with the token")
            continue
        report.other += 1
    report.newly_suppressed = sorted({e.email for e in suppression.suppressed()} - before)
    if write:
        suppression.write()
    return report


def _flat_text(message: Message) -> str:
    """Headers and text of every part (bounces quote the original headers), bounded."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            pieces.append(payload[:200_000].decode("utf-8", "replace"))
        elif isinstance(part.get_payload(), str):
            pieces.append(part.get_payload()[:200_000])
    for part in message.walk():  # message/* parts (delivery-status, rfc822): their headers
        if part.get_content_maintype() == "message" and part.is_multipart():
            for block in part.get_payload():
                pieces += [f"{name}: {value}" for name, value in block.items()]
    return "\n".join(pieces)


def _dsn_statuses(message: Message) -> dict[str, str]:
    """RFC 3464 per-recipient Status classes (2, 4 or 5) by address, where a DSN gives them."""
    statuses: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status" or not part.is_multipart():
            continue
        for block in part.get_payload():
            status = _STATUS.match(block.get("status", "") or "")
            recipient = block.get("final-recipient", "") or block.get("original-recipient", "")
            if status and ";" in recipient:
                statuses[recipient.split(";", 1)[1].strip().strip("<>").lower()] = status.group(1)
    return statuses


def _detail(message: Message, statuses: dict[str, str]) -> str:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            for block in part.get_payload():
                if block.get("status"):
                    return " ".join(f"{block.get('status', '')} {block.get('diagnostic-code', '')}".split())
    return " ".join(str(message.get("subject", "delivery report")).split())[:200]


def _looks_like_unsubscribe(message: Message) -> bool:
    subject = str(message.get("subject", "")).lower()
    return "unsubscribe" in subject or "退订" in subject or "unsubscribe" in str(message.get("to", "")).lower()


