"""Read an input file as text, and YAML into plain data that remembers its lines.

Every file an editor hands us goes through here, so the limits live here:
UTF-8 only (a GBK or Latin-1 file is named with the byte offset where decoding
failed), a BOM and CRLF line ends accepted, a size cap per file, and YAML read
with the safe loader through our own node walk, which caps how many values an
alias-laden document may expand to (a "billion laughs" document stops after
`MAX_YAML_VALUES`, before it can exhaust memory), how deeply values may nest
(`MAX_YAML_DEPTH`; deeper nesting would exhaust Python's stack), and refuses an
alias that refers to the collection containing it (a cycle). No YAML tag ever
constructs an object: tags other than the core schema's (YAML 1.1 safe types)
are read as plain text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from renderer.errors import PressError

MAX_TEXT_BYTES = 2_000_000
MAX_YAML_VALUES = 20_000
MAX_YAML_DEPTH = 50  # real manifests nest 3 levels; far below the interpreter's stack limit

Path_ = tuple[str | int, ...]


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """The file's text, with a BOM removed and line ends normalised to LF."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PressError(f"the {what} does not exist.", file=path,
                         fix="Check the path (it is relative to the issue folder).") from None
    except OSError as exc:
        raise PressError(f"the {what} cannot be read ({exc.strerror}).", file=path) from None
    if not path.is_file():
        raise PressError(f"the {what} is not a regular file.", file=path)
    if size > limit:
        raise PressError(
            f"the {what} is {_size(size)}, more than the {_size(limit)} allowed.",
            file=path, fix="Split it, or check that it is the file you meant.")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PressError(
            f"the {what} is not UTF-8 (undecodable byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start}, line {line}).",
            file=path,
            fix="Save it as UTF-8, e.g. `iconv -f GBK -t UTF-8` for a GBK file or "
                "`iconv -f LATIN1 -t UTF-8` for a Latin-1 one.") from None
    if "\x00" in text:
        raise PressError(f"the {what} contains NUL bytes; it looks like a binary file.", file=path)
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1_000_000 else f"{count / 1e3:.0f} KB"


def human_size(count: int, *, other: int | None = None) -> str:
    """A byte count as an editor reads it: 812 bytes, 1 KB, 250 KB, 4.2 MB. With `other`
    (a size it is compared with), exact bytes when the rounded figures would look equal."""
    def rounded(n: int) -> str:
        if n < 1000:
            return f"{n} bytes"
        if n < 1_000_000:
            return f"{n / 1e3:.1f}".removesuffix(".0") + " KB"
        return f"{n / 1e6:.2f}".removesuffix("0").removesuffix(".0") + " MB"
    if other is not None and other != count and rounded(other) == rounded(count):
        return f"{count:,} bytes"
    return rounded(count)


class Described(Exception):
    """Raised at the end of a document read in describe mode (renderer.load.schema): the
    document's JSON Schema, instead of its values."""

    def __init__(self, schema: dict) -> None:
        super().__init__("described")
        self.schema = schema


@dataclass
class YamlDoc:
    """Plain data read from YAML, with the line of every value by its path."""

    data: Any
    file: Path
    lines: dict[Path_, int] = field(default_factory=dict)
    first_line: int = 1  # where the YAML starts inside its file (front matter)
    # The source text of scalars YAML read as something else (yes -> True, 1e3 -> 1000.0),
    # by path: a text field keeps what the editor wrote.
    scalars: dict[Path_, str] = field(default_factory=dict)
    errors: list = field(default_factory=list)  # mistakes collected while reading fields

    def raise_collected(self) -> None:
        """Stop with every mistake found in this document, if there was any (in
        describe mode: with the document's schema, renderer.load.schema)."""
        described = getattr(self, "described", None)
        if described is not None:
            raise Described(described.object_schema())
        if self.errors:
            from renderer.errors import PressError

            raise PressError.collected(self.errors)

    def line(self, path: Path_) -> int:
        """Line of the value at `path`, or of its nearest ancestor."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def parse_yaml(text: str, file: Path, *, first_line: int = 1) -> YamlDoc:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        # PyYAML's parser recurses once per nesting level.
        raise PressError(f"the YAML nests values more than {MAX_YAML_DEPTH} levels deep.",
                         file=file, line=first_line,
                         fix="Check the brackets; a manifest nests three levels at most."
                         ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context_mark and exc.context and "end of stream" in problem:
            # An unclosed quote or bracket: where it opened helps, not the end of the file.
            mark = exc.context_mark
            problem = f"a quote or bracket opened here is never closed ({exc.context})"
        line = first_line + _line_of(text, mark.index) if mark else first_line
        raise PressError(f"YAML syntax error: {problem}.", file=file, line=line,
                         fix="Check indentation, colons and quotes on that line "
                             "(a value containing ': ' or starting with a quote must be quoted)."
                         ) from None
    except yaml.YAMLError as exc:
        raise PressError(f"YAML could not be read: {exc}.", file=file, line=first_line) from None
    doc = YamlDoc(data=None, file=file, first_line=first_line)
    walk = _Walk(budget=MAX_YAML_VALUES, text=text)
    doc.data = None if node is None else _to_plain(node, (), doc, walk)
    return doc


@dataclass
class _Walk:
    """State of one node walk: values still allowed, collections being read."""

    budget: int
    text: str = ""
    open_nodes: set[int] = field(default_factory=set)
    _breaks: list[int] | None = None

    def line(self, doc: YamlDoc, node: yaml.Node) -> int:
        if self._breaks is None:
            self._breaks = [i for i, c in enumerate(self.text) if c == "\n"]
        return doc.first_line + bisect.bisect_left(self._breaks, node.start_mark.index)


def _line_of(text: str, index: int) -> int:
    """0-based line of a character index, counting only LF: PyYAML's own mark lines also
    count U+0085, U+2028 and U+2029 as line breaks, which no editor shows as one."""
    return text.count("\n", 0, index)


def _to_plain(node: yaml.Node, path: Path_, doc: YamlDoc, walk: _Walk) -> Any:
    line = walk.line(doc, node)
    walk.budget -= 1
    if walk.budget < 0:
        raise PressError(
            f"the YAML expands to more than {MAX_YAML_VALUES} values (an alias bomb?).",
            file=doc.file, line=line,
            fix="Remove the anchors (&) and aliases (*); write the values out.")
    if len(path) > MAX_YAML_DEPTH:
        raise PressError(f"the YAML nests values more than {MAX_YAML_DEPTH} levels deep.",
                         file=doc.file, line=line,
                         fix="Check the brackets; a manifest nests three levels at most.")
    if id(node) in walk.open_nodes:
        raise PressError("an alias (*) refers to the list or mapping that contains it, "
                         "which would never end.", file=doc.file, line=line,
                         fix="Remove the anchors (&) and aliases (*); write the values out.")
    doc.lines.setdefault(path, line)
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node, doc)
        if not isinstance(value, str):
            doc.scalars[path] = node.value
        return value
    walk.open_nodes.add(id(node))
    try:
        return _collection(node, path, doc, walk)
    finally:
        walk.open_nodes.discard(id(node))


def _collection(node: yaml.Node, path: Path_, doc: YamlDoc, walk: _Walk) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise PressError("a mapping key must be plain text.", file=doc.file,
                                 line=walk.line(doc, key_node))
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise PressError("YAML merge keys (<<) are not supported.", file=doc.file,
                                 line=walk.line(doc, key_node),
                                 fix="Write the keys out.")
            key = str(key_node.value)
            if key in result:
                raise PressError(f"the key '{key}' appears twice.", file=doc.file,
                                 line=walk.line(doc, key_node),
                                 fix="Keep one of them.")
            result[key] = _to_plain(value_node, path + (key,), doc, walk)
        return result
    return [_to_plain(item, path + (i,), doc, walk) for i, item in enumerate(node.value)]


def _scalar(node: yaml.ScalarNode, doc: YamlDoc) -> Any:
    constructor = yaml.SafeLoader.yaml_constructors.get(node.tag)
    if constructor is None or node.tag in {"tag:yaml.org,2002:binary",
                                           "tag:yaml.org,2002:timestamp"}:
        # Timestamps stay text: the schema parses dates itself, with its own messages.
        return node.value
    try:
        return constructor(yaml.SafeLoader(""), node)
    except (yaml.YAMLError, ValueError):
        return node.value
