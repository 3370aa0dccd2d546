"""MIME messages (RFC 5322, RFC 2046, RFC 2047 subjects, RFC 2919 List-Id) from the mail templates."""

#     multipart/mixed                          (RFC 2046)
#       multipart/alternative
#         text/plain; charset=utf-8            styles/mail/body.txt.j2
#         text/html; charset=utf-8             styles/mail/body.html.j2 (inline styles, < 100 KB)
#       application/pdf; filename=<slug>-<yyyy-mm>.pdf   (ASCII name: old Outlook shows
#                                                         RFC 2231 names as "Untitled")
#   (with `attach: false` the message is the multipart/alternative alone, and the bodies
#   link to the manifest's `pdf_url` instead)
#
# Headers (exactly `PRESS_HEADERS`): Subject in the subscriber's language(s) (RFC 2047
# encoded words; `[TEST] ` in front for --test), From / Reply-To from the manifest's
# `email:` section, To, Date, a Message-ID (RFC 5322 section 3.6.4) on the sender's
# domain, Content-Language (RFC 3282: en, zh-Hans or both), List-Id, List-Unsubscribe
# with a per-subscriber mailto and https URI, and `List-Unsubscribe-Post:
# List-Unsubscribe=One-Click` when an https URI is given, plus MIME-Version and
# Content-Type. (RFC 8058 also wants the two List-Unsubscribe headers covered by a DKIM
# signature: the outgoing server's job.) No Return-Path header: the receiving server
# writes it from the envelope sender (RFC 5321 section 4.4), which is a per-subscriber
# VERP address (`envelope_sender`) so that a bounce names the subscriber it is about.
#
# Cost: the PDF part is base64-encoded once per mailing and copied into each message as
# bytes (`message_bytes`); everything that does not depend on the subscriber (article
# summaries, subjects, preheaders, the constant headers as parsed header objects) is
# computed once per plan; MIME boundaries are chosen, not searched for in the content.
#
# Header injection: From, Reply-To and To are only ever built as
# `email.headerregistry.Address` objects whose display name was decoded from any RFC 2047
# encoded words and then checked (`subscribers.clean_display_name`), so neither a raw nor
# an encoded CR/LF can start a header line; every other value is reduced to one line.

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.header import Header as LegacyHeader
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2

from renderer.assets import MAIL_TEMPLATES
from renderer.deliver.mail.unsubscribe import check_unsubscribe_templates, unsubscribe_uris
from renderer.deliver.subscribers import (
    RejectedRow,
    Subscriber,
    clean_display_name,
    normalize_address,
    read_subscribers,
)
from renderer.errors import PressError
from renderer.model import Article, Issue
from renderer.policy import MONTHS_EN
from renderer.prepare import plain_text as press_plain_text

TEMPLATES_DIR = MAIL_TEMPLATES
HTML_BODY_LIMIT = 100_000  # bytes; Gmail clips HTML bodies above about 102 KB
MESSAGE_SIZE_LIMIT = 10_000_000  # bytes, encoded; providers accept 20-35 MB, keep well under
# Every header the press writes on a message (the top level; parts carry only Content-*).
PRESS_HEADERS = frozenset({
    "subject", "from", "to", "reply-to", "date", "message-id", "list-id", "list-unsubscribe",
    "list-unsubscribe-post", "mime-version", "content-type", "content-language",
})  # fmt: skip
CONTENT_LANGUAGE = {"en": "en", "zh": "zh-Hans"}  # BCP 47 tags, as the HTML bodies' lang
TEST_PREFIX = "[TEST] "
PREHEADER_LIMIT = 140  # characters an inbox preview shows at most


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


class _FoldedOnce:
    """Mixed in front of every header class: a header folded once for the mail policy.

    A header object is immutable, so its folded text under one policy never changes; the
    values shared by every message of a mailing (``MailPlan.header``: Subject, From,
    List-Id, ...) are then folded once per plan instead of once per message."""

    def fold(self, *, policy) -> str:
        if policy is not MAIL_POLICY:
            return super().fold(policy=policy)
        folded = self.__dict__.get("_folded")
        if folded is None:
            folded = self._folded = super().fold(policy=policy)
        return folded


class _Registry(HeaderRegistry):
    """HeaderRegistry with one class per header name, folding once (``_FoldedOnce``).
    CPython's builds a new class for every header it parses (``type(...)`` in
    ``__getitem__``, 10 us, 28 times a message)."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def map_to_type(self, name, cls):
        super().map_to_type(name, cls)
        self._classes.clear()

    def __getstate__(self):  # a pickled plan holds the policy: its classes are made again
        return {key: value for key, value in self.__dict__.items() if key != "_classes"}

    def __setstate__(self, state):
        self.__dict__.update(state, _classes={})

    def __getitem__(self, name):
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:  # as CPython builds it, bases named at module level (picklable)
            kind = self.registry.get(key, self.default_class)
            cls = self._classes[key] = type(f"_{kind.__name__}", (_FoldedOnce, kind,
                                                                  self.base_class), {})
        return cls


_HEADERS = _Registry()
_HEADERS.map_to_type("list-unsubscribe", UriListHeader)
_HEADERS.map_to_type("subject", EncodedWordsHeader)
# The SMTP policy (CRLF, RFC 5322 folding) restricted to 7-bit transfer encodings
# (quoted-printable/base64), so messages are valid on servers without 8BITMIME (RFC 6152).
MAIL_POLICY = SMTP.clone(cte_type="7bit", header_factory=_HEADERS)


@dataclass(frozen=True)
class MailPlan:
    issue: Issue
    pdf_path: Path
    pdf: bytes
    subscribers_csv: Path
    subscribers: tuple[Subscriber, ...]
    rejected: tuple[RejectedRow, ...]
    sender: Address  # the manifest's From, checked
    sender_address: str  # its addr-spec: envelope sender and Message-ID domain
    reply_to: Address | None
    templates_dir: Path = TEMPLATES_DIR
    suppressed: tuple[Subscriber, ...] = ()  # on the list but on the suppression list too
    test: bool = False  # a --test mailing: "[TEST] " subjects, no ledger

    @property
    def attach(self) -> bool:
        return self.issue.email.attach

    @cached_property
    def attachment_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @cached_property
    def summaries(self) -> list[dict]:
        """The articles' titles and first sentences, the same in every message."""
        return [_article_summary(article) for article in self.issue.articles]

    @cached_property
    def colors(self) -> dict[str, str]:
        """The theme's colours as the email PDF shows them on screen (styles/theme.yaml)."""
        from renderer.compose import theme_colors  # the one conversion (renderer.prepare.theme)

        return dict(theme_colors("email"))

    @cached_property
    def _header_cache(self) -> dict:
        return {}

    def header(self, name: str, value) -> object:
        """A parsed header object for a value shared by many messages (parsed once)."""
        key = (name, str(value))
        cache = self._header_cache
        if key not in cache:
            cache[key] = MAIL_POLICY.header_factory(name, value)
        return cache[key]

    @cached_property
    def bounce_mailbox(self) -> tuple[str, str]:
        """(local part, domain) of the VERP base: email.bounce_address, else email.from."""
        address = self.sender_address
        if self.issue.email.bounce_address:
            address = _checked_address(self.issue, self.issue.email.bounce_address, "email.bounce_address")[1]
        local, domain = address.rsplit("@", 1)
        return local, domain

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

    def describe_attachment(self) -> str:
        """The file a mailing sends (or links to): name, size and SHA-256, for the prompt."""
        how = "attached" if self.attach else f"linked: {self.issue.email.pdf_url}"
        return (f"{self.pdf_path.name} ({_human_size(len(self.pdf))}, {len(self.pdf):,} bytes, "
                f"SHA-256 {self.attachment_sha256}; {how})")

    @property
    def domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[1]

    def report(self) -> str:
        """What will happen: rejected rows with their line numbers, then the count."""
        lines = []
        if self.rejected:
            lines.append(f"{len(self.rejected)} row(s) of {self.subscribers_csv} skipped:")
            lines += [f"  line {row.line}: {row.reason} ({row.text})" for row in self.rejected]
        if self.suppressed:
            lines.append(f"{len(self.suppressed)} subscriber(s) on the suppression list are left out "
                         "(unsubscribed or bounced).")
        verb = "receive" if self.attach else "get a link to"
        lines.append(
            f"{len(self.subscribers)} subscriber(s) will {verb} {self.attachment_name} "
            f"({_human_size(len(self.pdf))})."
        )
        return "\n".join(lines)


def plan_mail(
    issue: Issue, pdf_path: Path, subscribers_csv: Path, *, templates_dir: Path = TEMPLATES_DIR,
    out_root: Path | None = None, suppression: Path | None = None,
) -> MailPlan:
    """Check the manifest's mail settings, the PDF and the subscriber list; build one message as a test.

    With `out_root` (the build's output folder) the PDF must also be the current build of
    the issue's sources (`check_attachment_current`). Subscribers on the suppression list
    (`suppression`, default: the newsletter's list beside the subscriber CSV) are left out.
    """
    from renderer.deliver.suppression import SuppressionList, suppression_path

    check_campaign_settings(issue)
    pdf_path = Path(pdf_path)
    sender, sender_address = _checked_address(issue, issue.email.sender, "email.from")
    reply_to = _checked_address(issue, issue.email.reply_to, "email.reply_to")[0] if issue.email.reply_to else None
    check_unsubscribe_templates(issue)
    try:
        pdf = pdf_path.read_bytes()
    except FileNotFoundError:
        raise PressError(
            "The email PDF has not been built.", file=pdf_path, fix="Build the email edition first."
        ) from None
    if out_root is not None:
        check_attachment_current(issue, Path(out_root), pdf_path, pdf)
    subscribers = read_subscribers(Path(subscribers_csv))
    suppressed = SuppressionList.read(suppression or suppression_path(subscribers.path, issue.slug))
    plan = MailPlan(
        issue=issue,
        pdf_path=pdf_path,
        pdf=pdf,
        subscribers_csv=subscribers.path,
        subscribers=tuple(s for s in subscribers.valid if not suppressed.blocks(s.email)),
        suppressed=tuple(s for s in subscribers.valid if suppressed.blocks(s.email)),
        rejected=subscribers.rejected,
        sender=sender,
        sender_address=sender_address,
        reply_to=reply_to,
        templates_dir=Path(templates_dir),
    )
    local, _ = plan.bounce_mailbox
    if len(local) + len(verp_tag(plan, "x@x.x")) + 1 > 64:  # RFC 5321 section 4.5.3.1.1
        raise PressError(
            f"The bounce address's local part {local!r} is too long for a VERP tag "
            "(the envelope sender's local part must stay within 64 characters).",
            file=issue.manifest, field="email.bounce_address" if issue.email.bounce_address else "email.from",
            fix="Give a short bounce_address under email:, e.g. bounces@example.org.",
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


def check_campaign_settings(issue: Issue) -> None:
    """pdf_url is an http(s) URL (the loader checks web_url); `attach: false` needs pdf_url."""
    settings = issue.email
    for value, field_name in ((settings.pdf_url, "email.pdf_url"),):
        if value is None:
            continue
        if not re.fullmatch(r"https?://[^\s<>\"]+", value):
            raise PressError(
                f"{field_name} must be one http(s) URL without spaces or angle brackets: {value!r}.",
                file=issue.manifest, field=field_name,
                fix="Write the address of the hosted page, e.g. https://example.org/newsletter/2022-02/.",
            )
    if not settings.attach and not settings.pdf_url:
        raise PressError(
            "attach: false sends a link to the hosted PDF instead of the file, but the manifest "
            "gives no email.pdf_url.",
            file=issue.manifest, field="email.pdf_url",
            fix="Add pdf_url: https://... under email: (where the email PDF is published), or "
            "remove attach: false.",
        )


def check_postal_address(issue: Issue) -> None:
    """Bulk mail names the sender's postal address (CAN-SPAM, Gmail/Yahoo sender rules)."""
    value = issue.email.postal_address
    if value is None or not all(text.strip() for text in ((value,) if isinstance(value, str) else (value.en, value.zh))):
        raise PressError(
            "The manifest gives no postal address for the mail footer; bulk mail must show "
            "where the sender can be reached by post.",
            file=issue.manifest, field="email.postal_address",
            fix='Add postal_address: "1 Example Road, Yuzhong District, Chongqing" under email:.',
        )


def verp_tag(plan: MailPlan, email: str) -> str:
    """The per-subscriber, per-issue tag of the envelope sender: `<yyyy-mm>.<16 hex>`.

    The hex is a keyed hash of the address (`unsubscribe_token` with its own prefix), so
    a forged bounce cannot suppress an address it does not know the tag of.
    """
    from renderer.deliver.mail.unsubscribe import unsubscribe_token

    return f"{plan.issue.key}.{unsubscribe_token('verp:' + email)[:16]}"


def envelope_sender(plan: MailPlan, email: str) -> str:
    """MAIL FROM for one subscriber (VERP): `<bounce local>+<tag>@<bounce domain>`.

    Bounces come back to this address (the receiving server's Return-Path), and
    `renderer.deliver.bounces` maps the tag back to the subscriber.
    """
    local, domain = plan.bounce_mailbox
    return f"{local}+{verp_tag(plan, email)}@{domain}"


def _checked_address(issue: Issue, value: str | None, field_name: str) -> tuple[Address, str]:
    if not value:
        raise PressError(
            f"The manifest has no {field_name}: mail cannot be sent without it.",
            file=issue.manifest,
            field=field_name,
            fix='Add it under email:, e.g. from: "Newsletter <news@example.org>".',
        )
    raw_name, address = parseaddr(single_line(value))
    normalized = normalize_address(address) if address else None
    if normalized is None:
        raise PressError(
            f"{field_name} is not a usable address: {value!r}.",
            file=issue.manifest,
            field=field_name,
            fix='Write it as "Display Name <user@example.org>" or user@example.org.',
        )
    name, problem = clean_display_name(raw_name)
    if problem:
        raise PressError(
            f"{field_name} has an unusable display name: {problem}.",
            file=issue.manifest,
            field=field_name,
            fix="Write the name as plain text, without control characters or encoded words.",
        )
    return mailbox(name, normalized), normalized


def mailbox(display_name: str, addr_spec: str) -> Address:
    """The only way an address reaches a header: an Address object (RFC 5322 name-addr).

    The name is checked again (decoded from encoded words, one line): a Subscriber built
    without `read_subscribers` cannot smuggle a header either; an unusable name is dropped.
    """
    name, problem = clean_display_name(single_line(display_name))
    return Address(display_name="" if problem else name, addr_spec=addr_spec)


def check_attachment_current(issue: Issue, out_root: Path, pdf_path: Path, pdf: bytes) -> None:
    """Refuse a PDF that is not the build of the issue's current sources (the build cache says)."""
    from renderer.deliver import (
        cache,  # read-only use of the build's record; imported only when mailing
    )

    record = cache.up_to_date(out_root, issue.folder, "email", cache.fingerprint(issue.folder, "email"))
    current = (
        record is not None
        and Path(record.output).resolve() == pdf_path.resolve()
        and hashlib.sha256(pdf).hexdigest() == record.sha256
    )
    if not current:
        raise PressError(
            "The email PDF is not the build of the issue as it is now (an article, the manifest, "
            "the styles or the press changed since it was built, or the PDF was not built from "
            "this issue folder); mailing it would attach an outdated edition.",
            file=pdf_path,
            fix=f"Run `make-issue build {issue.folder} --out {out_root}` first, then mail again.",
        )



def build_message(
    plan: MailPlan, subscriber: Subscriber, *, message_id: str | None = None, now: dt.datetime | None = None
) -> EmailMessage:
    """The complete message for one subscriber (see the module docstring for its shape)."""
    issue = plan.issue
    languages = tuple(subscriber.languages)
    context = _template_context(plan, subscriber)
    environment = _environment(plan.templates_dir)
    subject = subject_for(plan, languages)
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
    # Values shared by many messages go in as header objects parsed once per plan
    # (set_raw stores a policy header object as the policy itself would).
    message.set_raw("Subject", plan.header("Subject", subject))
    message.set_raw("From", plan.header("From", plan.sender))
    message["To"] = mailbox(subscriber.name, subscriber.email)
    if plan.reply_to:
        message.set_raw("Reply-To", plan.header("Reply-To", plan.reply_to))
    message["Date"] = format_datetime(now or dt.datetime.now(dt.UTC).astimezone())
    message["Message-ID"] = message_id or make_msgid(domain=plan.domain)
    message.set_raw("List-Id", plan.header("List-Id", f"<{issue.slug}.{plan.domain}>"))
    unsubscribe = context["unsubscribe"]
    message["List-Unsubscribe"] = ", ".join(f"<{uri}>" for uri in unsubscribe)
    if any(uri.startswith("https://") for uri in unsubscribe):
        message.set_raw("List-Unsubscribe-Post", plan.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    # Boundaries chosen here (128 random bits and characters base64 never starts a line
    # with) spare the generator its search of the whole serialized content for a free one.
    token = uuid.uuid4().hex
    if plan.attach:
        message.make_mixed()
        message.attach(plan.attachment_part)
        message.set_boundary(f"=-mixed-{token}")
        message.get_payload(0).set_boundary(f"=-alt-{token}")
    else:
        message.set_boundary(f"=-alt-{token}")
    # After set_content, which clears every Content-* header of the message it fills.
    message.set_raw("Content-Language", plan.header(
        "Content-Language", ", ".join(CONTENT_LANGUAGE[lang] for lang in languages)))
    return message


def subject_for(plan: MailPlan, languages: tuple[str, ...]) -> str:
    """The Subject for subscribers of these languages (one line; `[TEST] ` for --test)."""
    return _per_plan(plan, "subject", languages)


def preheader_for(plan: MailPlan, languages: tuple[str, ...]) -> str:
    """The inbox preview text for these languages (at most PREHEADER_LIMIT characters each)."""
    return _per_plan(plan, "preheader", languages)


def _per_plan(plan: MailPlan, what: str, languages: tuple[str, ...]) -> str:
    cache = plan._header_cache
    key = (what, languages)
    if key not in cache:
        context = _shared_context(plan) | {"languages": list(languages)}
        custom = getattr(plan.issue.email, what)
        if custom is not None:
            context[f"custom_{what}"] = {lang: _fill(getattr(custom, lang), context, lang) for lang in ("en", "zh")}
        else:
            context[f"custom_{what}"] = None
        rendered = single_line(_environment(plan.templates_dir).get_template(f"{what}.txt.j2").render(context))
        if what == "subject" and plan.test:
            rendered = TEST_PREFIX + rendered
        cache[key] = rendered
    return cache[key]


def _fill(template: str, context: dict, lang: str) -> str:
    """{newsletter}, {month}, {volume}, {number} in a manifest subject or preheader."""
    values = {"newsletter": context["newsletter"][lang], "month": context["month"][lang],
              "volume": str(context["volume"]), "number": str(context["number"])}
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return single_line(template)


def message_bytes(plan: MailPlan, message: EmailMessage) -> bytes:
    """`message.as_bytes()`, with the shared PDF part copied from bytes serialized once.

    Re-serializing a 300 KB base64 attachment line by line took half the
    sender's time per message; the result is byte-for-byte the same.
    """
    buffer = io.BytesIO()
    if not plan.attach:
        BytesGenerator(buffer, mangle_from_=False, policy=MAIL_POLICY).flatten(message)
        return buffer.getvalue()
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


def _shared_context(plan: MailPlan) -> dict:
    """The template context that is the same for every subscriber (built once per plan)."""
    cache = plan._header_cache
    if "context" not in cache:
        issue = plan.issue
        settings = issue.email
        colors = plan.colors
        cache["context"] = {
            "newsletter": {"en": single_line(issue.name.en), "zh": single_line(issue.name.zh)},
            "month": {"en": f"{MONTHS_EN[issue.month - 1]} {issue.year}", "zh": f"{issue.year}年{issue.month}月"},
            "volume": issue.volume,
            "number": issue.number,
            "publisher": single_line(issue.publisher),
            "postal_address": _postal(settings.postal_address),
            "articles": plan.summaries,
            "attach": plan.attach,
            "attachment": {"filename": plan.attachment_name, "size": _human_size(len(plan.pdf)),
                           "url": settings.pdf_url},
            "web_url": issue.web_url,
            "colors": {"accent": colors["accent"], "ink": colors["ink"], "rule": colors["rule"],
                       "tint": colors["accent-tint"]},
            "preheader_limit": PREHEADER_LIMIT,
        }
    return cache["context"]


def _postal(value) -> dict[str, str]:
    if value is None:
        return {"en": "", "zh": ""}
    if isinstance(value, str):
        return {"en": single_line(value), "zh": single_line(value)}
    return {"en": single_line(value.en), "zh": single_line(value.zh)}


def _template_context(plan: MailPlan, subscriber: Subscriber) -> dict:
    languages = tuple(subscriber.languages)
    unsubscribe = unsubscribe_uris(plan.issue, subscriber.email)
    return _shared_context(plan) | {
        "languages": list(languages),
        "name": subscriber.name,
        "preheader": preheader_for(plan, languages),
        "unsubscribe": unsubscribe,
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
    # Each template is read once per process: every message of a mailing comes from the
    # same templates, even if one is edited while it goes out, and the sender does not
    # stat the files again for each message (auto_reload: four stats a message).
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        auto_reload=False,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )



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

