"""Mailing the email edition: Issue + email PDF + subscriber CSV -> one MIME message each.

Every subscriber gets one message built with the standard `email` package:

    multipart/mixed                          (RFC 2046)
      multipart/alternative
        text/plain; charset=utf-8            styles/mail/body.txt.j2
        text/html; charset=utf-8             styles/mail/body.html.j2 (inline styles, < 100 KB)
      application/pdf; filename=<slug>-<yyyy-mm>.pdf   (ASCII name: old Outlook shows
                                                        RFC 2231 names as "Untitled")

Headers: Subject in both languages (RFC 2047 encoded words, written by the
`email` package), From / Reply-To from the manifest's `email:` section, Date,
a Message-ID (RFC 5322 section 3.6.4) on the sender's domain, List-Id
(RFC 2919), List-Unsubscribe (RFC 2369) with a per-subscriber mailto and
https URI, and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058)
when an https URI is given. (RFC 8058 also wants those two headers covered by
a DKIM signature: that is the outgoing mail server's job.)

Header injection: every value that reaches a header is reduced to one line
(control characters and line separators become spaces) before the `email`
package sees it, and subscriber rows holding control characters are already
rejected by `subscribers`.

Unsubscribe token: `{token}` in the manifest's templates is
HMAC-SHA256(key=$PRESS_UNSUBSCRIBE_SECRET, message=lower-cased address), hex,
first 32 digits. Without the variable it is SHA-256 of
"bilingual-press-unsubscribe:" + address: stable, but anyone who knows an
address can compute it, so set the secret in production and verify tokens
with the same function (`unsubscribe_token`) on the unsubscribe endpoint.

Sending (RFC 5321): one SMTP connection, reused; implicit TLS (RFC 8314,
default), STARTTLS (RFC 3207) or none; credentials only from environment
variables. Replies: 2xx sent; 4xx temporary, retried with exponential
backoff and, if still refused, left queued for the next run; 5xx to RCPT or
DATA is a permanent failure for that subscriber; 5xx to MAIL FROM concerns
the sender and stops the run. Every transaction is bracketed by the ledger
(`ledger.py`): `sending` committed before MAIL FROM, `sent` right after the
250 to DATA, so a crash duplicates at most the one message in flight.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import hmac
import io
import os
import re
import smtplib
import socket
import ssl
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.header import Header as LegacyHeader
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import quote

import jinja2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from renderer.assets import MAIL_TEMPLATES
from renderer.deliver.files import ensure_folder, write_atomically
from renderer.deliver.ledger import Ledger, ledger_status
from renderer.deliver.subscribers import (
    RejectedRow,
    Subscriber,
    has_control_characters,
    normalize_address,
    read_subscribers,
)
from renderer.errors import PressError
from renderer.model import Article, Issue
from renderer.prepare import plain_text as press_plain_text

__all__ = [
    "MailPlan",
    "RetryPolicy",
    "SendSummary",
    "SmtpSettings",
    "build_message",
    "first_sentence",
    "message_bytes",
    "ledger_status",
    "plan_mail",
    "send",
    "unsubscribe_token",
    "write_outbox",
]

TEMPLATES_DIR = MAIL_TEMPLATES
HTML_BODY_LIMIT = 100_000  # bytes; Gmail clips HTML bodies above about 102 KB
MESSAGE_SIZE_LIMIT = 10_000_000  # bytes, encoded; providers accept 20-35 MB, keep well under


class UriListHeader(UnstructuredHeader):
    """RFC 2369 List-* header: `<uri>, <uri>`, folded between the URIs only.

    The stock folder turns any word longer than a line (a long unsubscribe URL)
    into an RFC 2047 encoded word, which mail clients do not decode in these
    headers, breaking the unsubscribe button. A URI may run past 78 characters
    on its own line: RFC 5322 section 2.1.1 allows lines up to 998.
    """

    def fold(self, *, policy) -> str:  # noqa: D102 - see the class docstring
        uris = re.findall(r"<[^<>]*>", str(self)) or [str(self)]
        return f"{self.name}: " + ("," + policy.linesep + " ").join(uris) + policy.linesep


class EncodedWordsHeader(UnstructuredHeader):
    """Unstructured text (the bilingual Subject) folded as RFC 2047 encoded words.

    The stock folder (CPython 3.11) can emit an empty encoded word
    (`=?utf-8?q??=`) when a Chinese run starts near the end of a line; RFC 2047
    section 2 requires at least one character of encoded text, and strict
    clients then show the raw `=?utf-8?...` text. The older `email.header`
    encoder splits into complete base64 words on character boundaries instead.
    ASCII-only values keep the stock folding.
    """

    def fold(self, *, policy) -> str:  # noqa: D102 - see the class docstring
        value = str(self)
        if value.isascii():
            return super().fold(policy=policy)
        encoded = LegacyHeader(value, "utf-8", maxlinelen=policy.max_line_length, header_name=self.name)
        return f"{self.name}: {encoded.encode(linesep=policy.linesep)}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", UriListHeader)
_HEADERS.map_to_type("subject", EncodedWordsHeader)
# The SMTP policy (CRLF, RFC 5322 folding) restricted to 7-bit transfer encodings
# (quoted-printable/base64), so messages are valid on servers without 8BITMIME (RFC 6152).
MAIL_POLICY = SMTP.clone(cte_type="7bit", header_factory=_HEADERS)

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

IDLE_CHECK_SECONDS = 20.0  # a connection idle this long is probed with NOOP before reuse
SECURITY_MODES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}


# --- settings ----------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to submit mail. Built from the environment, never from files."""

    host: str
    port: int
    security: str = "tls"  # "tls" (implicit, RFC 8314), "starttls" (RFC 3207) or "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # extra trusted CA (a private relay); system CAs otherwise
    timeout: float = 60.0
    helo_name: str = field(default_factory=socket.gethostname)  # no DNS lookup, unlike getfqdn

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read PRESS_SMTP_HOST, _PORT, _SECURITY, _USER, _PASSWORD (and _CA_FILE)."""
        env = os.environ if environ is None else environ
        host = env.get("PRESS_SMTP_HOST", "").strip()
        if not host:
            raise PressError(
                "No SMTP server configured: the environment variable PRESS_SMTP_HOST is not set.",
                fix="Export PRESS_SMTP_HOST (and PRESS_SMTP_PORT, PRESS_SMTP_SECURITY, "
                "PRESS_SMTP_USER, PRESS_SMTP_PASSWORD) before running --send. Credentials are "
                "read from the environment only, never from files or arguments.",
            )
        security = env.get("PRESS_SMTP_SECURITY", "tls").strip().lower() or "tls"
        if security not in SECURITY_MODES:
            raise PressError(
                f"PRESS_SMTP_SECURITY is {security!r}.",
                fix="Use tls (implicit TLS, port 465), starttls (port 587) or none.",
            )
        port = _port_from_env(env.get("PRESS_SMTP_PORT", ""), security)
        user = env.get("PRESS_SMTP_USER") or None
        password = env.get("PRESS_SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise PressError(
                "Only one of PRESS_SMTP_USER and PRESS_SMTP_PASSWORD is set.",
                fix="Set both to log in to the SMTP server, or neither for a relay without login.",
            )
        if user and security == "none":
            raise PressError(
                "Refusing to send the SMTP password over an unencrypted connection "
                "(PRESS_SMTP_SECURITY=none with PRESS_SMTP_USER set).",
                fix="Use PRESS_SMTP_SECURITY=tls or starttls.",
            )
        ca_file = env.get("PRESS_SMTP_CA_FILE") or None
        return cls(host, port, security, user, password, Path(ca_file) if ca_file else None)


def _port_from_env(value: str, security: str) -> int:
    if not value.strip():
        return DEFAULT_PORTS[security]
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise PressError(f"PRESS_SMTP_PORT is {value!r}.", fix="Use a port number such as 465 or 587.")
    return int(value)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff. The defaults outlast common greylisting (about 5 minutes)."""

    max_attempts: int = 5  # per subscriber and run, for 4xx replies
    base_delay: float = 30.0  # seconds; doubled after each failure
    max_delay: float = 300.0
    max_connection_attempts: int = 5  # consecutive connection failures before giving up

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1))


# --- the plan ----------------------------------------------------------------


@dataclass(frozen=True)
class MailPlan:
    issue: Issue
    pdf_path: Path
    pdf: bytes
    subscribers_csv: Path
    subscribers: tuple[Subscriber, ...]
    rejected: tuple[RejectedRow, ...]
    sender: str  # the manifest's From, checked
    sender_address: str  # its addr-spec: envelope sender and Message-ID domain
    reply_to: str | None
    templates_dir: Path = TEMPLATES_DIR

    @cached_property
    def attachment_part(self) -> MIMEPart:
        """The PDF as a MIME part, base64-encoded once and shared by every message (read-only)."""
        part = MIMEPart(policy=MAIL_POLICY)
        part.set_content(
            self.pdf, maintype="application", subtype="pdf", disposition="attachment", filename=self.attachment_name
        )
        return part

    @cached_property
    def attachment_bytes(self) -> bytes:
        """`attachment_part` serialized exactly as it is inside a message (see `message_bytes`)."""
        buffer = io.BytesIO()
        BytesGenerator(buffer, mangle_from_=False, policy=MAIL_POLICY).flatten(
            self.attachment_part, unixfrom=False, linesep=MAIL_POLICY.linesep
        )
        return buffer.getvalue()

    @property
    def attachment_name(self) -> str:
        return f"{self.issue.slug}-{self.issue.key}.pdf"

    @property
    def domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[1]

    def report(self) -> str:
        """What will happen: rejected rows with their line numbers, then the count."""
        lines = []
        if self.rejected:
            lines.append(f"{len(self.rejected)} row(s) of {self.subscribers_csv} skipped:")
            lines += [f"  line {row.line}: {row.reason} ({row.text})" for row in self.rejected]
        lines.append(
            f"{len(self.subscribers)} subscriber(s) will receive {self.attachment_name} "
            f"({_human_size(len(self.pdf))})."
        )
        return "\n".join(lines)


def plan_mail(
    issue: Issue, pdf_path: Path, subscribers_csv: Path, *, templates_dir: Path = TEMPLATES_DIR
) -> MailPlan:
    """Check the manifest's mail settings, the PDF and the subscriber list; build one message as a test."""
    pdf_path = Path(pdf_path)
    sender, sender_address = _checked_address(issue, issue.email.sender, "email.from")
    reply_to = _checked_address(issue, issue.email.reply_to, "email.reply_to")[0] if issue.email.reply_to else None
    _check_unsubscribe_templates(issue)
    try:
        pdf = pdf_path.read_bytes()
    except FileNotFoundError:
        raise PressError(
            "The email PDF has not been built.", file=pdf_path, fix="Build the email edition first."
        ) from None
    subscribers = read_subscribers(Path(subscribers_csv))
    plan = MailPlan(
        issue=issue,
        pdf_path=pdf_path,
        pdf=pdf,
        subscribers_csv=subscribers.path,
        subscribers=subscribers.valid,
        rejected=subscribers.rejected,
        sender=sender,
        sender_address=sender_address,
        reply_to=reply_to,
        templates_dir=Path(templates_dir),
    )
    if plan.subscribers:
        size = len(message_bytes(plan, build_message(plan, plan.subscribers[0])))
        if size > MESSAGE_SIZE_LIMIT:
            raise PressError(
                f"Each message would be {_human_size(size)}, over the {_human_size(MESSAGE_SIZE_LIMIT)} "
                "limit (the PDF grows by a third in base64).",
                file=pdf_path,
                fix="Lower email.size_budget in issue.yaml and rebuild the email edition.",
            )
    return plan


def _checked_address(issue: Issue, value: str | None, field_name: str) -> tuple[str, str]:
    if not value:
        raise PressError(
            f"The manifest has no {field_name}: mail cannot be sent without it.",
            file=issue.manifest,
            field=field_name,
            fix='Add it under email:, e.g. from: "Newsletter <news@example.org>".',
        )
    name, address = parseaddr(single_line(value))
    normalized = normalize_address(address) if address else None
    if normalized is None:
        raise PressError(
            f"{field_name} is not a usable address: {value!r}.",
            file=issue.manifest,
            field=field_name,
            fix='Write it as "Display Name <user@example.org>" or user@example.org.',
        )
    header = str(Address(display_name=name, addr_spec=normalized)) if name else normalized
    return header, normalized


def _check_unsubscribe_templates(issue: Issue) -> None:
    mailto, url = issue.email.unsubscribe_mailto, issue.email.unsubscribe_url
    if not mailto and not url:
        raise PressError(
            "The manifest gives no unsubscribe address; bulk mail needs a List-Unsubscribe "
            "header (RFC 2369, required by Gmail and Yahoo for bulk senders).",
            file=issue.manifest,
            field="email.unsubscribe_url",
            fix='Add unsubscribe_url: "https://example.org/unsubscribe?t={token}" '
            "and/or unsubscribe_mailto under email:.",
        )
    for value, field_name, scheme in ((mailto, "email.unsubscribe_mailto", "mailto:"),
                                      (url, "email.unsubscribe_url", "https://")):  # fmt: skip
        if value is None:
            continue
        if not value.startswith(scheme) or re.search(r"[\s<>\"]", value) or has_control_characters(value):
            raise PressError(
                f"{field_name} must be one {scheme} URI without spaces or angle brackets: {value!r}.",
                file=issue.manifest,
                field=field_name,
                fix="RFC 8058 one-click unsubscribe needs an https URL; mailto needs mailto:.",
            )


# --- message building -------------------------------------------------------


def build_message(
    plan: MailPlan, subscriber: Subscriber, *, message_id: str | None = None, now: dt.datetime | None = None
) -> EmailMessage:
    """The complete message for one subscriber (see the module docstring for its shape)."""
    issue = plan.issue
    context = _template_context(plan, subscriber)
    environment = _environment(plan.templates_dir)
    subject = single_line(environment.get_template("subject.txt.j2").render(context))
    text = environment.get_template("body.txt.j2").render(context)
    html = environment.get_template("body.html.j2").render(context | {"subject": subject})
    html_size = len(html.encode("utf-8"))
    if html_size > HTML_BODY_LIMIT:
        raise PressError(
            f"The HTML mail body is {html_size:,} bytes, over the {HTML_BODY_LIMIT:,} limit "
            "(Gmail clips longer bodies and hides the rest).",
            file=issue.manifest,
            field="articles",
            fix="Shorten the article titles or first sentences, or simplify styles/mail/body.html.j2.",
        )

    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message["From"] = plan.sender
    message["To"] = Address(display_name=single_line(subscriber.name), addr_spec=subscriber.email)
    if plan.reply_to:
        message["Reply-To"] = plan.reply_to
    message["Date"] = format_datetime(now or dt.datetime.now(dt.UTC).astimezone())
    message["Message-ID"] = message_id or make_msgid(domain=plan.domain)
    message["List-Id"] = f"<{issue.slug}.{plan.domain}>"
    unsubscribe = _unsubscribe_uris(issue, subscriber.email)
    message["List-Unsubscribe"] = ", ".join(f"<{uri}>" for uri in unsubscribe)
    if any(uri.startswith("https://") for uri in unsubscribe):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    message.make_mixed()
    message.attach(plan.attachment_part)
    return message


def message_bytes(plan: MailPlan, message: EmailMessage) -> bytes:
    """`message.as_bytes()`, with the shared PDF part copied from bytes serialized once.

    Re-serializing a 300 KB base64 attachment line by line took half the
    sender's time per message; the result is byte-for-byte the same.
    """
    buffer = io.BytesIO()
    _SharedPartGenerator(buffer, (plan.attachment_part, plan.attachment_bytes)).flatten(message)
    return buffer.getvalue()


class _SharedPartGenerator(BytesGenerator):
    """A BytesGenerator that writes one given part from pre-serialized bytes.

    Uses the documented extension points: `clone` (called for every sub-part)
    passes the shared part along, `flatten` short-cuts it. A sub-part is always
    flattened with the parent's policy and line separator, which is how
    `MailPlan.attachment_bytes` was produced.
    """

    def __init__(self, fp, shared: tuple[MIMEPart, bytes], policy=None):
        super().__init__(fp, mangle_from_=False, policy=policy)
        self._shared = shared

    def clone(self, fp):
        return self.__class__(fp, self._shared, policy=self.policy)

    def flatten(self, msg, unixfrom=False, linesep=None):
        part, serialized = self._shared
        if msg is part and (linesep or self.policy.linesep) == MAIL_POLICY.linesep:
            self._fp.write(serialized)
            return
        super().flatten(msg, unixfrom=unixfrom, linesep=linesep)


def _template_context(plan: MailPlan, subscriber: Subscriber) -> dict:
    issue = plan.issue
    unsubscribe = _unsubscribe_uris(issue, subscriber.email)
    return {
        "languages": list(subscriber.languages),
        "newsletter": {"en": single_line(issue.name.en), "zh": single_line(issue.name.zh)},
        "month": {"en": f"{MONTHS_EN[issue.month - 1]} {issue.year}", "zh": f"{issue.year}年{issue.month}月"},
        "volume": issue.volume,
        "number": issue.number,
        "publisher": single_line(issue.publisher),
        "name": single_line(subscriber.name),
        "articles": [_article_summary(article) for article in issue.articles],
        "attachment": {"filename": plan.attachment_name, "size": _human_size(len(plan.pdf))},
        "unsubscribe_url": next((u for u in unsubscribe if u.startswith("https://")), None),
        "unsubscribe_mailto": next((u for u in unsubscribe if u.startswith("mailto:")), None),
    }


def _article_summary(article: Article) -> dict:
    return {
        "title": {"en": plain_text(article.title.en), "zh": plain_text(article.title.zh)},
        "first_sentence": {
            "en": first_sentence(article.en[0].text, "en") if article.en else "",
            "zh": first_sentence(article.zh[0].text, "zh") if article.zh else "",
        },
    }


@lru_cache(maxsize=4)
def _environment(templates_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _unsubscribe_uris(issue: Issue, email: str) -> list[str]:
    """The manifest's templates with {email} (percent-encoded) and {token} filled in."""
    token = unsubscribe_token(email)
    uris = []
    for template in (issue.email.unsubscribe_mailto, issue.email.unsubscribe_url):
        if template:
            # str.replace, not str.format: other braces in a URL stay as written.
            uris.append(template.replace("{email}", quote(email, safe="@")).replace("{token}", token))
    return uris


def unsubscribe_token(email: str, secret: str | None = None) -> str:
    """HMAC-SHA256 of the lower-cased address with $PRESS_UNSUBSCRIBE_SECRET (see module doc)."""
    secret = os.environ.get("PRESS_UNSUBSCRIBE_SECRET") if secret is None else secret
    address = email.strip().lower().encode("utf-8")
    if secret:
        digest = hmac.new(secret.encode("utf-8"), address, hashlib.sha256).hexdigest()
    else:
        digest = hashlib.sha256(b"bilingual-press-unsubscribe:" + address).hexdigest()
    return digest[:32]


# --- text helpers ---------------------------------------------------------------

_FIRST_SENTENCE_LIMIT = {"en": 300, "zh": 150}  # characters, when no sentence end is found
# Words whose trailing period does not end a sentence ("Mr. Li", "No. 2 Middle School").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt no nos vol fig gen col lt sgt rev hon gov sen rep "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e etc vs approx".split()
)
_EN_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_ZH_END = re.compile(r"[。！？]+[”’」』）)]*")


def plain_text(markdown: str) -> str:
    """Inline Markdown -> plain text on one line, parsed as the press parses it."""
    return single_line(press_plain_text(markdown))


def first_sentence(markdown: str, language: str) -> str:
    """The first sentence of a paragraph, as plain text.

    English ends at . ! ? followed by a space or the end (so "3.5" and "Mr. Li"
    do not end it); Chinese at 。！？ (W3C clreq: full-width stops). Closing
    quotes and brackets after the mark belong to the sentence.
    """
    text = plain_text(markdown)
    if language == "zh":
        match = _ZH_END.search(text)
    else:
        match = next((m for m in _EN_END.finditer(text) if not _is_abbreviation(text, m.start())), None)
    if match:
        return text[: match.end()]
    limit = _FIRST_SENTENCE_LIMIT.get(language, 300)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if language != "zh" and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"


def _is_abbreviation(text: str, period: int) -> bool:
    if text[period] != ".":
        return False
    word = text[:period].rsplit(None, 1)[-1] if text[:period].strip() else ""
    word = word.lstrip("(\"'“‘[")
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return word.lower() in _ABBREVIATIONS or bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word))


def single_line(text: str) -> str:
    """Control characters (CR, LF, NUL ...) and line separators -> spaces, runs collapsed.

    Applied to every value that reaches a header, so no input can start a new header line.
    """
    cleaned = "".join(" " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text)
    return " ".join(cleaned.split())


def _human_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


# --- outbox ------------------------------------------------------------------


def write_outbox(plan: MailPlan, out_dir: Path) -> list[Path]:
    """Write one .eml file per subscriber (CRLF, as sent), each atomically (deliver.files); return the paths."""
    out_dir = Path(out_dir)
    ensure_folder(out_dir)
    paths = []
    for number, subscriber in enumerate(plan.subscribers, start=1):
        path = out_dir / f"{number:04d}-{_file_safe(subscriber.email)}.eml"
        write_atomically(path, message_bytes(plan, build_message(plan, subscriber)))
        paths.append(path)
    return paths


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", text)[:120]


# --- sending -----------------------------------------------------------------


@dataclass
class SendSummary:
    issue_key: str
    subscribers: int  # valid subscribers in the plan
    already_sent: int  # sent by earlier runs, skipped
    rejected_rows: int
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, server reply)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # still queued after 4xx
    possibly_duplicated: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        rate = len(self.sent) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"Issue {self.issue_key}: sent {len(self.sent)} in {self.seconds:.1f} s ({rate:.1f}/s); "
            f"{self.already_sent} already sent before; {len(self.failed)} failed; "
            f"{len(self.deferred)} still queued; {self.rejected_rows} CSV row(s) skipped."
        ]
        if self.possibly_duplicated:
            lines.append(
                "Possibly duplicated (an earlier run stopped while this message was in flight; "
                "it was sent again): " + ", ".join(self.possibly_duplicated)
            )
        lines += [f"  failed {address}: {reply}" for address, reply in self.failed]
        lines += [f"  queued {address}: {reply} (run again to retry)" for address, reply in self.deferred]
        return "\n".join(lines)


class _ConnectionLost(Exception):
    def __init__(self, error: BaseException, during_data: bool):
        super().__init__(_describe_error(error))
        self.during_data = during_data


@dataclass(frozen=True)
class _Outcome:
    kind: str  # "sent", "temporary", "permanent" or "sender" (5xx to MAIL FROM)
    reply: str
    connection_usable: bool = True


def send(
    plan: MailPlan,
    ledger_path: Path,
    smtp: SmtpSettings,
    rate_per_minute: float | None = None,
    *,
    retry: RetryPolicy = RetryPolicy(),
    console: Console | None = None,
    show_progress: bool = True,
) -> SendSummary:
    """Send every message not yet sent for this issue, recording each step in the ledger."""
    console = console or Console(stderr=True)
    key = plan.issue.key
    started = time.monotonic()
    with Ledger.open(ledger_path) as ledger, ledger.exclusive():
        interrupted = set(ledger.recover_interrupted(key))
        ledger.enqueue(key, (s.key for s in plan.subscribers), lambda: make_msgid(domain=plan.domain))
        pending = [s for s in plan.subscribers if ledger.get(key, s.key).state == "queued"]
        summary = SendSummary(
            issue_key=key,
            subscribers=len(plan.subscribers),
            already_sent=sum(ledger.get(key, s.key).state == "sent" for s in plan.subscribers),
            rejected_rows=len(plan.rejected),
        )
        console.print(plan.report(), markup=False, highlight=False)
        # markup=False everywhere: addresses and CSV rows may contain rich's [tags].
        console.print(
            f"Sending {len(pending)} message(s) now; {summary.already_sent} were sent by an earlier run.",
            markup=False,
            highlight=False,
        )
        summary.possibly_duplicated = sorted(interrupted)
        session = _Session(smtp, retry)
        try:
            with _ProgressBar(console, len(pending), show_progress) as advance:
                _send_all(plan, ledger, session, pending, rate_per_minute, retry, summary, advance)
        finally:
            session.close()
    summary.seconds = time.monotonic() - started
    console.print(summary.render(), markup=False, highlight=False)
    return summary


def _send_all(plan, ledger, session, pending, rate_per_minute, retry, summary, advance) -> None:
    key = plan.issue.key
    throttle = _Throttle(rate_per_minute)
    queue = [(0.0, number, subscriber, 0) for number, subscriber in enumerate(pending)]
    heapq.heapify(queue)
    sequence = len(queue)
    connection_failures = 0
    while queue:
        ready_at, _, subscriber, tries = heapq.heappop(queue)
        _sleep_until(ready_at)
        throttle.wait()
        connection = session.connect()  # after the waits: it probes a connection left idle
        row = ledger.get(key, subscriber.key)
        payload = message_bytes(plan, build_message(plan, subscriber, message_id=row.message_id))
        ledger.mark_sending(key, subscriber.key)  # committed before the transaction starts
        try:
            outcome = _transact(connection, plan.sender_address, subscriber.email, payload)
        except _ConnectionLost as lost:
            ledger.mark_deferred(key, subscriber.key, f"connection lost: {lost}", uncertain=lost.during_data)
            if lost.during_data and subscriber.key not in summary.possibly_duplicated:
                summary.possibly_duplicated.append(subscriber.key)
            session.discard()
            connection_failures += 1
            if connection_failures >= retry.max_connection_attempts:
                raise PressError(
                    f"The SMTP connection to {session.settings.host} failed {connection_failures} "
                    f"times in a row (last: {lost}).",
                    fix="Nothing is lost: run the same command again to send what is still queued.",
                ) from None
            sequence += 1
            heapq.heappush(queue, (time.monotonic() + retry.delay(connection_failures), sequence, subscriber, tries))
            continue
        connection_failures = 0
        if not outcome.connection_usable:
            session.discard()
        if outcome.kind == "sent":
            ledger.mark_sent(key, subscriber.key, outcome.reply)
            summary.sent.append(subscriber.email)
            advance()
        elif outcome.kind == "permanent":
            ledger.mark_failed(key, subscriber.key, outcome.reply)
            summary.failed.append((subscriber.email, outcome.reply))
            advance()
        elif outcome.kind == "sender":
            ledger.mark_deferred(key, subscriber.key, outcome.reply)
            raise PressError(
                f"The SMTP server refused MAIL FROM:<{plan.sender_address}> (the sender or the message "
                f"size, for every subscriber): {outcome.reply}.",
                file=plan.issue.manifest,
                field="email.from",
                fix="Use a From address the server lets you send as, or a smaller PDF; nothing was "
                "marked sent or failed, run the command again once fixed.",
            )
        else:  # temporary: back to the queue with exponential backoff
            ledger.mark_deferred(key, subscriber.key, outcome.reply)
            tries += 1
            if tries >= retry.max_attempts:
                summary.deferred.append((subscriber.email, outcome.reply))
                advance()
            else:
                sequence += 1
                heapq.heappush(queue, (time.monotonic() + retry.delay(tries), sequence, subscriber, tries))


def _transact(connection: smtplib.SMTP, sender: str, recipient: str, payload: bytes) -> _Outcome:
    """One SMTP mail transaction (RFC 5321 section 3.3): MAIL, RCPT, DATA."""
    stage = "mail"
    try:
        # RFC 1870: announce the size so an oversized message is refused before DATA.
        options = [f"SIZE={len(payload)}"] if connection.has_extn("size") else []
        code, reply = connection.mail(sender, options)
        if code != 250:
            return _refused(connection, code, reply, stage)
        stage = "rcpt"
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            return _refused(connection, code, reply, stage)
        stage = "data"
        try:
            code, reply = connection.data(payload)
        except smtplib.SMTPDataError as error:  # DATA itself refused: no content was sent
            return _refused(connection, error.smtp_code, error.smtp_error, stage)
        if 200 <= code < 300:
            return _Outcome("sent", _reply_text(code, reply))
        return _refused(connection, code, reply, "after-data")
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as error:
        # Lost between DATA and the server's reply: the server may have the message.
        raise _ConnectionLost(error, during_data=stage == "data") from None


def _refused(connection: smtplib.SMTP, code: int, reply: bytes | str, stage: str) -> _Outcome:
    text = _reply_text(code, reply)
    usable = code != 421  # 421: the server is closing the connection (RFC 5321 section 3.8)
    if usable and stage != "after-data":
        try:
            connection.rset()  # abandon the half-done transaction before the next one
        except (smtplib.SMTPException, OSError):
            usable = False
    if 500 <= code < 600:
        return _Outcome("sender" if stage == "mail" else "permanent", text, usable)
    return _Outcome("temporary", text, usable)


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {single_line(text)}"


def _describe_error(error: BaseException) -> str:
    return single_line(f"{type(error).__name__}: {error}") if str(error) else type(error).__name__


class _Session:
    """A lazily opened, reused SMTP connection that reconnects with backoff."""

    def __init__(self, settings: SmtpSettings, retry: RetryPolicy):
        self.settings = settings
        self.retry = retry
        self._connection: smtplib.SMTP | None = None
        self._last_used = time.monotonic()

    def connect(self) -> smtplib.SMTP:
        if self._connection is not None and time.monotonic() - self._last_used > IDLE_CHECK_SECONDS:
            self._check_alive()  # servers drop idle clients, e.g. during a long backoff wait
        failures = 0
        while self._connection is None:
            try:
                self._connection = _open_connection(self.settings)
            except PressError:
                raise
            except (OSError, smtplib.SMTPException) as error:
                failures += 1
                if failures >= self.retry.max_connection_attempts:
                    raise PressError(
                        f"Cannot connect to the SMTP server {self.settings.host}:{self.settings.port} "
                        f"({self.settings.security}) after {failures} attempts: {_describe_error(error)}.",
                        fix="Check PRESS_SMTP_HOST, PRESS_SMTP_PORT and PRESS_SMTP_SECURITY. Nothing is "
                        "lost: run the same command again to send what is still queued.",
                    ) from None
                time.sleep(self.retry.delay(failures))
        self._last_used = time.monotonic()
        return self._connection

    def _check_alive(self) -> None:
        try:
            code, _ = self._connection.noop()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self.discard()

    def discard(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.discard()


def _open_connection(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.security == "tls":
            connection = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=settings.helo_name,
                timeout=settings.timeout, context=context,
            )  # fmt: skip
        else:
            connection = smtplib.SMTP(
                settings.host, settings.port, local_hostname=settings.helo_name, timeout=settings.timeout
            )
    except ssl.SSLCertVerificationError as error:
        raise _certificate_error(settings, error) from None
    try:
        connection.ehlo()
        if settings.security == "starttls":
            if not connection.has_extn("starttls"):
                raise PressError(
                    f"The SMTP server {settings.host}:{settings.port} does not offer STARTTLS.",
                    fix="Use PRESS_SMTP_SECURITY=tls with its TLS port (usually 465), or check the port.",
                )
            connection.starttls(context=context)
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except ssl.SSLCertVerificationError as error:
        connection.close()
        raise _certificate_error(settings, error) from None
    except smtplib.SMTPAuthenticationError as error:
        connection.close()
        if 400 <= error.smtp_code < 500:
            raise  # temporary: retried by the session
        raise PressError(
            f"The SMTP server refused the login of user {settings.user!r}: "
            f"{_reply_text(error.smtp_code, error.smtp_error)}.",
            fix="Check PRESS_SMTP_USER and PRESS_SMTP_PASSWORD.",
        ) from None
    except smtplib.SMTPNotSupportedError:
        connection.close()
        raise PressError(
            f"The SMTP server {settings.host} does not accept a login (no AUTH offered).",
            fix="Unset PRESS_SMTP_USER and PRESS_SMTP_PASSWORD, or use the server's submission port.",
        ) from None
    except BaseException:
        connection.close()
        raise
    return connection


def _certificate_error(settings: SmtpSettings, error: ssl.SSLCertVerificationError) -> PressError:
    return PressError(
        f"The TLS certificate of {settings.host} was not accepted: {error.verify_message}.",
        fix="Check PRESS_SMTP_HOST is the name on the certificate; for a private CA set "
        "PRESS_SMTP_CA_FILE to its certificate file.",
    )


class _Throttle:
    """At most `rate_per_minute` transaction starts per minute (None or 0: no limit)."""

    def __init__(self, rate_per_minute: float | None):
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.next_start = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        _sleep_until(self.next_start)
        self.next_start = max(self.next_start, time.monotonic()) + self.interval


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class _ProgressBar:
    """A rich progress bar; yields the function that advances it by one message."""

    def __init__(self, console: Console, total: int, enabled: bool):
        self.progress = Progress(
            TextColumn("Mailing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
        )
        self.task = self.progress.add_task("mail", total=total)

    def __enter__(self):
        self.progress.__enter__()
        return lambda: self.progress.advance(self.task)

    def __exit__(self, *exc_info):
        return self.progress.__exit__(*exc_info)
