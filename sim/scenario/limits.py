"""Limits on untrusted input: YAML that cannot hang or exhaust memory.

Scenario, rules and batch files are exchanged between regions and agencies, so the reader
assumes the worst. A file is read in bounded bytes; before anything is composed, one pass over
the YAML event stream counts every node, aliases at their expanded size, so an alias bomb (a
few hundred bytes that expand to billions of nodes) stops after `MAX_NODES` nodes, not after
gigabytes. Depth, string length and collection length are bounded the same way. Numbers are
checked in numbers.py; docs/input.md lists every limit and why it has the value it has.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from sim.scenario.errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A YAML file (scenario, rules, batch): 36x the largest shipped one (the inject rules, 56 kB)."""
MAX_NODES = 100_000
"""YAML nodes in one file, an alias counted at the size of what it repeats: 35x the Swedish
reference network's 2,900, and what this machine composes in well under a second."""
MAX_DEPTH = 32
"""Nesting of mappings and lists; the deepest shipped file nests 7 levels."""
MAX_STRING = 20_000
"""Characters in one string: an inject template is a few hundred."""
MAX_CHARS = 4 * 1024 * 1024
"""Characters of text in one file with aliases expanded (keys and values): twice the file-size
limit, so a short alias of a long string repeated thousands of times (gigabytes once built,
printed or saved) stops here."""
MAX_ITEMS = 50_000
"""Entries in one list or mapping."""
MAX_EXTENDS = 50
"""Files in one `extends:` chain (a file, its parent, its parent's parent, ...); shipped
scenarios use at most 2."""
MAX_CSV_BYTES = 16 * 1024 * 1024
"""A CSV table: 200x the Swedish lane table."""
MAX_CSV_ROWS = 100_000
"""Rows in one CSV table (the Swedish reference network has 709 lanes)."""
# libyaml when present: parsing and composing at C speed; the limits are checked on the event
# stream first, so nothing is composed or constructed before the whole document passed them.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Mark:
    """A position for a problem found outside the parser (0-based line, as YAML marks)."""

    def __init__(self, line: int) -> None:
        self.line = line


class LimitExceeded(yaml.YAMLError):
    """A YAML document broke one of the limits; `line` says where."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None


_OPEN = (SequenceStartEvent, MappingStartEvent)
_CLOSE = (SequenceEndEvent, MappingEndEvent)


def _too_many(mark: Any) -> LimitExceeded:
    return LimitExceeded(
        f"more than {MAX_NODES:,} YAML values (an alias counts at the size of what it "
        "repeats): too big for a scenario, or an alias expansion bomb", mark)


def _add_item(frame: list[Any], event: Any) -> None:
    frame[3] += 1
    if frame[3] > MAX_ITEMS * frame[4]:
        raise LimitExceeded(f"more than {MAX_ITEMS:,} entries in one list or mapping",
                            frame[2])


def _too_long(mark: Any) -> LimitExceeded:
    return LimitExceeded(
        f"more than {MAX_CHARS // (1024 * 1024)} million characters of text (an alias counts "
        "at the length of what it repeats): too big for a scenario, or an alias expansion bomb",
        mark)


def check_events(text: str) -> None:
    """Walk the YAML event stream once and raise LimitExceeded at the first limit broken.

    Sizes are counted as the document would be expanded: an alias adds the size of the node
    its anchor names, so repeated aliases of aliases (the "billion laughs") are caught while
    the stream is still a few hundred events long.
    """
    count = 0
    chars = 0  # characters of text, aliases expanded
    # per open collection: [count at its start, anchor, mark, events inside, events per entry,
    # chars at its start]
    stack: list[list[Any]] = []
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> expanded (values, characters)
    opened: set[str] = set()  # anchors of collections not yet closed
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind is ScalarEvent:
            if len(event.value) > MAX_STRING:
                raise LimitExceeded(f"a value of {len(event.value):,} characters (at most "
                                    f"{MAX_STRING:,})", event.start_mark)
            count += 1
            chars += len(event.value)
            if event.anchor is not None:
                sizes[event.anchor] = (1, len(event.value))
        elif kind is AliasEvent:
            if event.anchor in opened:
                raise LimitExceeded(f"alias *{event.anchor} repeats the list or mapping it is "
                                    "inside (a recursive alias)", event.start_mark)
            # an undefined alias: the composer says so
            nodes, length = sizes.get(event.anchor, (1, 0))
            count += nodes
            chars += length
        elif kind in _OPEN:
            count += 1
            if stack:
                _add_item(stack[-1], event)
            # a mapping's entries are keys and values: two events each
            per = 2 if kind is MappingStartEvent else 1
            stack.append([count - 1, event.anchor, event.start_mark, 0, per, chars])
            if len(stack) > MAX_DEPTH:
                raise LimitExceeded(f"nested more than {MAX_DEPTH} levels deep",
                                    event.start_mark)
            if event.anchor is not None:
                opened.add(event.anchor)
            continue
        elif kind in _CLOSE:
            start, anchor, _, _, _, start_chars = stack.pop()
            if anchor is not None:
                sizes[anchor] = (count - start, chars - start_chars)
                opened.discard(anchor)
            continue
        else:
            continue
        if stack:
            _add_item(stack[-1], event)
        if count > MAX_NODES:
            raise _too_many(event.start_mark)
        if chars > MAX_CHARS:
            raise _too_long(event.start_mark)


def read_text(file: Path, limit: int = MAX_FILE_BYTES, what: str = "file") -> str:
    """A text file's content, refused (ScenarioError) when too big, binary or not UTF-8.

    At most `limit` + 1 bytes are read, so a device or a pipe cannot exhaust memory.
    """
    name = str(file)
    try:
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem("", f"{what} not found", name)], name) from None
    except IsADirectoryError:
        raise ScenarioError([Problem("", f"is a folder, not a {what}", name)], name) from None
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read: {exc.strerror or exc}", name)],
                            name) from None
    if len(raw) > limit:
        raise ScenarioError([Problem("", f"{what} is over {limit // 1024:,} kB; that is too "
                                         "big to be read safely (docs/input.md, limits)",
                                     name)], name)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        hint = ""
        if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
            hint = "; it looks like UTF-32: save it as UTF-8"
        elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = "; it looks like UTF-16: save it as UTF-8"
        raise ScenarioError([Problem("", f"binary data (a NUL byte), not a text {what}{hint}",
                                     name, line)], name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(
            "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            name, line)], name) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as some editors write


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document within the limits: (data, root node), data None when empty.

    Raises yaml.YAMLError (LimitExceeded for a limit) with the position of the problem.
    """
    check_events(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except ValueError as exc:  # Python reads integers of at most 4,300 digits
        digits = re.search(r"[0-9]{4300,}", text)
        if digits is None:
            raise LimitExceeded(f"cannot read a value: {exc}", None) from None
        line = text.count("\n", 0, digits.start())
        raise LimitExceeded(f"a number of {digits.end() - digits.start():,} digits",
                            _Mark(line)) from None
    finally:
        loader.dispose()
    return data, node
