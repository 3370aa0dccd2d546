"""Validate plain YAML data field by field, with messages an editor can act on.

In the spirit of MkDocs' config schema: each field has a kind, and a wrong
value, a missing field or an unknown key is reported with its file, line and
dotted field name, plus a "did you mean" for a misspelt key. A wrong field does not
stop the reading: every mistake of a document is collected (``YamlDoc.errors``) and the
loader stops once, at the end of the file, with all of them.

The same reading code is the JSON Schema's one definition (`json_schema`): run on an empty
document while ``describing``, every `take` records its key, its kind's schema (each kind
carries a ``json`` fragment; a kind that reads a sub-mapping or a list of them is run on an
empty probe to find its own fields), whether it is required, and its default; at the end
of the file the loader's `raise_collected` hands back the schema instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from renderer.errors import PressError
from renderer.load.source import Path_, YamlDoc
from renderer.model import Bilingual

_describing: contextvars.ContextVar[bool] = contextvars.ContextVar("describing", default=False)


class Fields:
    """A YAML mapping being read: take each known key once, then reject the rest."""

    def __init__(self, doc: YamlDoc, path: Path_ = (), data: Any = None):
        self.doc = doc
        self.path = path
        self.data = doc.data if data is None and not path else data
        self.properties: dict[str, dict] = {}  # describe mode: what each taken key holds
        self.required: list[str] = []
        self.children: list[Fields] = []  # describe mode: the sub-mappings read
        if _describing.get():
            self.data = {}
            if not path:
                doc.described = self
        elif not isinstance(self.data, dict):
            raise self.error(f"must be a mapping of 'key: value' lines, not {_kind_of(self.data)}",
                             path)
        self.known: list[str] = []

    # -- errors -------------------------------------------------------------
    def error(self, what: str, path: Path_, fix: str | None = None) -> PressError:
        name = _dotted(path)
        return PressError(f"'{name}' {what}." if name else f"the file {what}.",
                          file=self.doc.file, line=self.doc.line(path), fix=fix)

    # -- access -------------------------------------------------------------
    def take(self, key: str, kind: Callable[[Fields, Any, Path_], Any], *,
             required: bool = False, default: Any = None) -> Any:
        self.known.append(key)
        path = self.path + (key,)
        if _describing.get():
            return self._describe(key, kind, required, default, path)
        try:
            if key not in self.data or self.data[key] is None:
                if required:
                    raise self._missing(key, path)
                return default
            return kind(self, self.data[key], path)
        except PressError as error:
            self.doc.errors.append(error)  # reported with the others at the file's end
            return default

    def _missing(self, key: str, path: Path_) -> PressError:
        """A missing required field; if a present key looks like it misspelt, say so."""
        present = [k for k in self.data if isinstance(k, str) and k != key]
        guess = difflib.get_close_matches(key, present, n=1, cutoff=0.75)
        if guess:
            self.known.append(guess[0])  # explained here: not an unknown field as well
            return PressError(
                f"the required field '{_dotted(path)}' is missing, and '{guess[0]}' is not a "
                "known field.", file=self.doc.file, line=self.doc.line(self.path + (guess[0],)),
                fix=f"Did you mean '{key}'?")
        return PressError(f"the required field '{_dotted(path)}' is missing.",
                          file=self.doc.file, line=self.doc.line(self.path),
                          fix=f"Add a line '{key}: ...'.")

    def finish(self) -> None:
        """Every key present must have been taken: unknown keys are mistakes."""
        if _describing.get():
            return
        for key in self.data:
            if key not in self.known:
                guess = difflib.get_close_matches(key, self.known, n=1, cutoff=0.6)
                hint = f"Did you mean '{guess[0]}'?" if guess else (
                    "Known keys here: " + ", ".join(self.known) + ".")
                self.doc.errors.append(
                    self.error("is not a known field", self.path + (key,), fix=hint))

    def sub(self, value: Any, path: Path_) -> Fields:
        child = Fields(self.doc, path, value)
        self.children.append(child)
        return child

    # -- describe mode --------------------------------------------------------
    def _describe(self, key: str, kind, required: bool, default: Any, path: Path_) -> Any:
        schema = dict(getattr(kind, "json", None) or self._probe(kind, path))
        if getattr(kind, "json_also", None):  # a kind that takes a scalar form as well
            schema = {"anyOf": [kind.json_also, schema]}
        if default not in (None, (), {}) and _plain(default):
            schema["default"] = list(default) if isinstance(default, tuple) else default
        self.properties[key] = schema
        if required:
            self.required.append(key)
        return default

    def _probe(self, kind, path: Path_) -> dict:
        """A kind without a fragment reads a mapping or a list of mappings: run it on
        empty probes and describe the fields it took."""
        for probe, item_path in (({}, path), ([{}], path + (0,))):
            start = len(self.children)
            try:
                kind(self, probe, path)
            except (PressError, TypeError, ValueError, AttributeError, KeyError, IndexError):
                pass  # a probe is no real value: only the fields read before matter
            made = [c for c in self.children[start:] if c.path == item_path]
            del self.children[start:]
            if made:
                return made[0].object_schema() if item_path == path else {
                    "type": "array", "items": made[0].object_schema()}
        return {}

    def object_schema(self) -> dict:
        schema = {"type": "object", "properties": self.properties,
                  "additionalProperties": False}
        if self.required:
            schema["required"] = self.required
        return schema


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or (
        isinstance(value, list | tuple) and all(map(_plain, value)))


@contextlib.contextmanager
def describing():
    """While active, Fields read nothing and describe what they would read."""
    token = _describing.set(True)
    try:
        yield
    finally:
        _describing.reset(token)


def also_accepts(fragment: dict):
    """A kind that reads a mapping (described by probing) also takes this other form."""
    def attach(kind):
        kind.json_also = fragment
        return kind
    return attach


def with_json(fragment: dict):
    """Attach a kind's JSON Schema fragment (what a YAML value of that kind looks like)."""
    def attach(kind):
        kind.json = fragment
        return kind
    return attach


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    return f"the value {shown(value)}"


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# -- kinds: (fields, value, path) -> value ------------------------------------

MAX_SHOWN = 60  # characters of a wrong value quoted back in a message


def shown(value: Any) -> str:
    """A wrong value as the message quotes it: repr, cut short if long."""
    try:
        text_ = repr(value)
    except ValueError:  # an integer of thousands of digits (Python refuses to print it)
        return "a number of more than 4,000 digits"
    return text_ if len(text_) <= MAX_SHOWN else text_[:MAX_SHOWN - 7] + "..." + text_[-4:]


@with_json({"type": ["string", "number", "boolean"]})
def text(f: Fields, value: Any, path: Path_) -> str:
    if isinstance(value, (dict, list)):
        raise f.error("must be text, not a list or mapping", path)
    if not isinstance(value, str):
        # As written: YAML 1.1 reads `yes` as True and `No` as False, but a title or a
        # byline says what the editor typed.
        value = f.doc.scalars.get(path, value)
    result = str(value).strip()
    if not result:
        raise f.error("must not be empty", path)
    # A lone surrogate (from a "\ud800" escape) is not a character: no font or PDF
    # string can hold it, and UTF-8 encoders raise on it.
    if any(unicodedata.category(c) == "Cs" for c in result):
        raise f.error("contains an invalid \\u escape (a lone UTF-16 surrogate)", path,
                      fix="Write the character itself, or escape it as \\U0001xxxx.")
    return result


@with_json({"type": "array", "items": {"type": ["string", "number", "boolean"]}})
def text_list(f: Fields, value: Any, path: Path_) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise f.error("must be a list (lines starting with '- ')", path)
    return tuple(text(f, item, path + (i,)) for i, item in enumerate(value))


@with_json({"type": "integer", "minimum": 1})
def positive_int(f: Fields, value: Any, path: Path_) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise f.error(f"must be a whole number of 1 or more, not {shown(value)}", path)
    return value


@with_json({"type": "integer", "minimum": 0})
def non_negative_int(f: Fields, value: Any, path: Path_) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise f.error(f"must be a whole number of 0 or more, not {shown(value)}", path)
    return value


@with_json({"type": "number", "minimum": 0})
def number(f: Fields, value: Any, path: Path_) -> float:
    try:  # float() of an int with hundreds of digits overflows
        result = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):
        result = None
    if (not isinstance(value, (int, float)) or result is None or not math.isfinite(result)
            or result < 0):
        raise f.error(f"must be a number of 0 or more, not {shown(value)}", path)
    return result


@with_json({"type": "string", "format": "date"})
def date(f: Fields, value: Any, path: Path_) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise f.error(f"must be a date written YYYY-MM-DD, not {shown(value)}", path) from None


@with_json({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"})
def month(f: Fields, value: Any, path: Path_) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(value))
    # Year 0000 has no calendar date (datetime's years are 1 to 9999).
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < dt.MINYEAR:
        raise f.error(f"must be a month written YYYY-MM, e.g. 2022-02, not {shown(value)}", path)
    return int(match[1]), int(match[2])


@with_json({"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"})
def slug(f: Fields, value: Any, path: Path_) -> str:
    result = text(f, value, path)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", result):
        raise f.error(f"must use only a-z, 0-9 and single hyphens (it names files), "
                      f"not {shown(result)}", path)
    return result


MAX_BYTE_SIZE = 1_000_000_000


@with_json({"type": ["string", "integer"]})
def byte_size(f: Fields, value: Any, path: Path_) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(KB|MB|B)?\s*", str(value), re.I)
    if not match:
        raise f.error(f"must be a size such as 400KB or 5MB, not {shown(value)}", path)
    scale = {"B": 1, "KB": 1000, "MB": 1_000_000}[(match[2] or "B").upper()]
    size = float(match[1]) * scale
    if not math.isfinite(size) or size > MAX_BYTE_SIZE:
        raise f.error(f"must be at most {MAX_BYTE_SIZE // 1_000_000}MB, not {shown(value)}",
                      path)
    return int(size)


@with_json({"type": "object", "required": ["en", "zh"], "additionalProperties": False,
            "properties": {"en": {"type": ["string", "number", "boolean"]}, "zh": {"type": ["string", "number", "boolean"]}}})
def bilingual(f: Fields, value: Any, path: Path_) -> Bilingual:
    if not isinstance(value, dict):
        raise f.error(f"needs both languages, not {_kind_of(value)}", path,
                      fix="Write an 'en:' line and a 'zh:' line under it, indented.")
    sub = f.sub(value, path)
    result = Bilingual(en=sub.take("en", text, required=True),
                       zh=sub.take("zh", text, required=True))
    sub.finish()
    return result


def one_of(*choices: str) -> Callable[[Fields, Any, Path_], str]:
    def kind(f: Fields, value: Any, path: Path_) -> str:
        result = str(value).strip()
        for choice in choices:
            if result.lower() == choice.lower():
                return choice
        raise f.error(f"must be one of {', '.join(choices)}, not {shown(value)}", path)
    kind.json = {"enum": list(choices)}
    return kind


def relative_file(folder: Path) -> Callable[[Fields, Any, Path_], Path]:
    """A path relative to `folder` that stays inside it after symlinks are resolved."""
    def kind(f: Fields, value: Any, path: Path_) -> Path:
        raw = text(f, value, path)
        if "://" in raw or raw.startswith(("/", "\\", "~", "file:", "data:")):
            raise f.error(f"must be a path relative to the issue folder, not {shown(raw)}",
                          path,
                          fix="Copy the file into the issue folder and name it relatively.")
        if len(raw) > MAX_PATH_CHARS or any(unicodedata.category(c) == "Cc" for c in raw):
            raise f.error(f"is not a usable file name: {shown(raw)}", path,
                          fix="Use a short name without control characters.")
        try:
            resolved = (folder / raw).resolve()
            inside = resolved.is_relative_to(folder.resolve())
            exists = inside and resolved.is_file()
        except (OSError, RuntimeError, ValueError) as exc:
            # A link loop (RuntimeError in Python 3.11), a name too long for the system...
            raise f.error(f"cannot be looked up ({_reason(exc)}): {shown(raw)}", path,
                          fix="Check the name and any links on the way to the file.") from None
        if not inside:
            raise f.error(f"points outside the issue folder ({shown(raw)})", path,
                          fix="Copy the file into the issue folder; links and '..' that "
                              "leave it are refused.")
        if not exists:
            raise f.error(f"names a file that does not exist: {raw}", path,
                          fix=f"Check the name; it is relative to {folder}.")
        return resolved
    kind.json = {"type": "string", "minLength": 1}
    return kind


MAX_PATH_CHARS = 255


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
