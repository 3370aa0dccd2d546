"""Subscriber list: a CSV file -> validated `Subscriber` records plus rejected rows.

The file is UTF-8 CSV (RFC 4180) with the header `email,name,language`;
`language` is `en`, `zh` or `both`. A bad row never stops the mailing: it is
set aside with its line number and the reason, so the editor can fix the list
while everyone else still gets the issue. A bad *file* (missing, not UTF-8,
wrong header) is a `PressError`.

Addresses are checked against the RFC 5321/5322 `dot-atom@domain` form that
every mail server accepts (quoted local parts and address literals are
refused on purpose: they are legal but almost always typing mistakes in a
subscriber list). Internationalised domains are converted to their IDNA
(punycode) form so the envelope stays ASCII; non-ASCII local parts would need
SMTPUTF8 (RFC 6531) and are refused. Duplicates are found case-insensitively
(strictly the local part is case-sensitive, but no real mailbox relies on it,
and sending the same issue twice to one person is the worse mistake).

A name or any field holding a control character (CR, LF, TAB, NUL, U+2028 ...)
rejects the row: such a value could otherwise be used to forge mail headers. Names are
first decoded from RFC 2047 encoded words (`=?utf-8?q?...?=`), then checked again, so an
encoded CR/LF is refused too, as are bidirectional overrides, names made only of invisible
(format) characters, and names over `NAME_LIMIT` characters (a header line must stay
under the RFC 5322 limit of 998).

A row that is not valid CSV (an unterminated quote, text after a closing quote) is
rejected with its line number and reading goes on with the next line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from pathlib import Path

from renderer.errors import PressError

HEADER = ("email", "name", "language")
LANGUAGES = ("en", "zh", "both")

# RFC 5322 section 3.2.3 atext, joined by single dots (dot-atom-text).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
# RFC 1035 / RFC 5321 domain: LDH labels, 1-63 characters, not starting or
# ending with a hyphen; at least two labels (a bare host name is a typo here).
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_MAX_LOCAL = 64  # RFC 5321 section 4.5.3.1.1
_MAX_ADDRESS = 254  # RFC 5321 path limit (256) minus the angle brackets
NAME_LIMIT = 200  # characters of a display name: its header line stays far below 998
# Bidirectional embeddings, overrides and isolates: they can make a name display as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


@dataclass(frozen=True)
class Subscriber:
    email: str  # as it will be used on the envelope (IDNA domain)
    name: str  # may be empty
    language: str  # "en", "zh" or "both"
    line: int  # 1-based line of the row in the CSV file

    @property
    def key(self) -> str:
        """Identity of the subscriber in the ledger and for duplicate checks."""
        return self.email.lower()

    @property
    def languages(self) -> tuple[str, ...]:
        return ("en", "zh") if self.language == "both" else (self.language,)


@dataclass(frozen=True)
class RejectedRow:
    line: int
    text: str  # the row as read, for the report
    reason: str


@dataclass(frozen=True)
class SubscriberList:
    path: Path
    valid: tuple[Subscriber, ...]
    rejected: tuple[RejectedRow, ...]

    def report(self) -> str:
        """Rejected rows, one per line, as `file:line: reason (row)`."""
        return "\n".join(
            f"{self.path}:{row.line}: {row.reason} ({row.text})" for row in self.rejected
        )


def read_subscribers(path: Path) -> SubscriberList:
    """Read and validate a subscriber CSV file."""
    path = Path(path)
    text = _read_text(path)
    # newline="" splits records only at CR, LF and CRLF (str.splitlines would also
    # split at U+2028 and friends, inside quoted fields).
    # Physical lines split only at CR, LF and CRLF (str.splitlines would also split at
    # U+2028 and friends, inside quoted fields).
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(iter(lines), strict=True)
    columns = _read_header(reader, path)
    valid: list[Subscriber] = []
    rejected: list[RejectedRow] = []
    first_line_of: dict[str, int] = {}
    start = reader.line_num  # physical lines consumed so far
    while start < len(lines):
        # One record at a time from physical line `start`: a quoted field may span lines.
        record = csv.reader(iter(lines[start:]), strict=True)
        line = start + 1  # 1-based line where the row starts
        try:
            fields = next(record)
        except StopIteration:
            break
        except csv.Error as error:
            # Reject this one line and read on from the next: an unterminated quote must
            # not swallow (or abort) the rest of the list.
            rejected.append(RejectedRow(line, _printable(lines[start].rstrip("\r\n")),
                                        f"not valid CSV ({error}); check the quotes on this line"))
            start += 1
            continue
        start += record.line_num
        if not any(field.strip() for field in fields):
            continue  # blank line
        row_text = ",".join(fields)
        outcome = _validate_row(fields, columns)
        if isinstance(outcome, str):
            rejected.append(RejectedRow(line, _printable(row_text), outcome))
            continue
        email, name, language = outcome
        key = email.lower()
        if key in first_line_of:
            reason = f"duplicate of line {first_line_of[key]} (addresses compare case-insensitively)"
            rejected.append(RejectedRow(line, _printable(row_text), reason))
            continue
        first_line_of[key] = line
        valid.append(Subscriber(email=email, name=name, language=language, line=line))
    return SubscriberList(path=path, valid=tuple(valid), rejected=tuple(rejected))


def normalize_address(address: str) -> str | None:
    """Return the address with an ASCII (IDNA) domain, or None if it is not usable."""
    address = address.strip()
    if address.count("@") != 1 or len(address) > _MAX_ADDRESS:
        return None
    local, domain = address.split("@")
    if len(local) > _MAX_LOCAL or not _LOCAL_PART.fullmatch(local):
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None  # a dotted IP address without brackets is not a domain
    return f"{local}@{ascii_domain}"


def has_control_characters(text: str) -> bool:
    """True for C0/C1 controls and the Unicode line/paragraph separators."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text)


def clean_display_name(raw: str) -> tuple[str, str | None]:
    """(the display name to write, None), or ("", the reason it cannot be used).

    RFC 2047 encoded words are decoded first: the name is checked as a mail client
    would show it, and it is written back only through an `Address` object.
    """
    text = raw
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (HeaderParseError, LookupError, UnicodeError, ValueError) as error:
            return "", f"name has an undecodable RFC 2047 encoded word ({error})"
        if _ENCODED_WORD.search(text):
            return "", "name holds RFC 2047 encoded words inside encoded words"
    if has_control_characters(text):
        return "", "name holds a line break or another control character (RFC 2047 decoded)"
    if any(char in _BIDI_CONTROLS for char in text):
        return "", "name holds a bidirectional override (U+202A-U+202E, U+2066-U+2069)"
    text = " ".join(text.split())
    if text and all(unicodedata.category(char) == "Cf" for char in text.replace(" ", "")):
        return "", "name is made only of invisible (zero-width or format) characters"
    if len(text) > NAME_LIMIT:
        return "", f"name is {len(text):,} characters long, over the {NAME_LIMIT} allowed"
    return text, None


# --- helpers -----------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PressError(
            "The subscriber list does not exist.",
            file=path,
            fix="Give the path of a CSV file with the header email,name,language.",
        ) from None
    except OSError as error:
        raise PressError(f"The subscriber list cannot be read: {error.strerror}.", file=path) from None
    try:
        return data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PressError(
            "The subscriber list is not UTF-8 text.",
            file=path,
            line=line,
            fix="Save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8).",
        ) from None


def _read_header(reader, path: Path) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise PressError(
            "The subscriber list is empty.",
            file=path,
            fix="The first line must be the header email,name,language.",
        ) from None
    names = [field.strip().lower() for field in header]
    missing = [name for name in HEADER if name not in names]
    unknown = [name for name in names if name not in HEADER]
    if missing or unknown or len(set(names)) != len(names):
        problems = []
        if missing:
            problems.append("missing column(s) " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s) " + ", ".join(repr(n) for n in unknown))
        if len(set(names)) != len(names):
            problems.append("a column appears twice")
        raise PressError(
            f"The subscriber list header is wrong: {'; '.join(problems)}.",
            file=path,
            line=1,
            fix="The first line must be exactly: email,name,language",
        )
    return {name: names.index(name) for name in HEADER}


def _validate_row(fields: list[str], columns: dict[str, int]) -> tuple[str, str, str] | str:
    """The cleaned (email, name, language), or the reason the row is rejected."""
    if len(fields) != len(columns):
        return f"expected {len(columns)} fields (email,name,language), found {len(fields)}"
    if any(has_control_characters(field) for field in fields):
        return "contains a line break or another control character"
    raw_email = fields[columns["email"]].strip()
    email = normalize_address(raw_email)
    if email is None:
        return f"not a usable e-mail address: {raw_email!r}"
    language = fields[columns["language"]].strip().lower()
    if language not in LANGUAGES:
        return f"unknown language {language!r} (use en, zh or both)"
    name, problem = clean_display_name(fields[columns["name"]])
    if problem:
        return problem
    return email, name, language


def _printable(text: str) -> str:
    """The row for a report, with control characters made visible."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if has_control_characters(char) else char
        for char in text
    )
