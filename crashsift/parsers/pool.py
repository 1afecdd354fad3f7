"""`!pool` output: the pool page that holds an address, and every block on it.

Record (`PoolRecord`):

- ``address``: the queried address from ``Pool page <address> region is <region>`` (``"0x…"``),
  None when the header is not shown (old x86 output);
- ``region``: the region named there (``Nonpaged pool``, ``Paged pool``, ``Unknown``, …);
- ``entries``: one `PoolEntry` per block, in order: ``address``, ``size`` and ``previous_size``
  (``"0x…"``; !pool prints the sizes in hex, so ``size:   c0`` is ``"0xc0"``), ``state``
  (``Allocated`` or ``Free``; ``(Free )``, a block on a lookaside list, is ``Free``), ``tag``
  (the four tag characters as printed, trailing blanks dropped: ``.tFs``, ``;oNm``, ``Io``),
  ``protected`` (``(Protected)`` after the tag), ``process`` (the ``Process: …`` a quota block
  is charged to, else None), ``highlighted`` (the ``*`` entry, the one holding the queried
  address), ``kind`` (``small``; ``large`` for ``*… : large page allocation, tag is …, size is
  0x… bytes``; ``special`` for ``*… size: … non-paged special pool, Tag is …``),
  ``tag_description``, ``binary`` and ``owner`` (from ``Pooltag FMsl : STREAM_LIST_CTRL
  structure, Binary : fltmgr.sys``), ``owning_component`` (from ``Owning component : …``,
  printed when pooltag.txt does not know the tag), ``contents`` (the rows ``!pool addr 1``
  dumps under the entry: address and the 32-bit values, ``"0x…"``) and ``line``;
- ``errors``: the messages !pool prints instead of (or after) entries, as printed
  (``… is not a valid large pool allocation, checking large session pool...``,
  ``Unable to read large session pool table (…)``, ``Failed to read heap key``, the
  corruption diagnosis).

The grammar (``grammars/pool.lark``) reads the block's lines in one call and tells the forms apart;
entry lines, most of a block, are cut into the grammar's tokens by one regex instead (`_ENTRY`,
checked against the grammar by tests), as lark's cost is per token. The
text after an entry's state (marker, tag, ``(Protected)``, ``Process:``) is one token, split by
`_TAIL` because a tag may hold blanks. Lines none of these forms read (the ``.....`` an author
put for elided rows, a second ``Pool page`` header) become diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import fast, terminal_regexes


@dataclass(slots=True)
class PoolDataRow:
    """One row of the contents `!pool addr 1` dumps under an entry."""

    address: str | None
    values: list[str | None]
    line: int


@dataclass(slots=True)
class PoolEntry:
    address: str | None
    size: str | None
    previous_size: str | None = None
    state: str = "Allocated"
    tag: str = ""
    protected: bool = False
    process: str | None = None
    highlighted: bool = False
    kind: str = "small"
    tag_description: str | None = None
    binary: str | None = None
    owner: str | None = None
    owning_component: str | None = None
    contents: list[PoolDataRow] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class PoolRecord:
    address: str | None = None
    region: str | None = None
    entries: list[PoolEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_REGION_IS = re.compile(r"region\s+is\s*")
# The text after an entry's state: `*` marker, tag, ` (Protected)`, ` Process: <eprocess>`
_TAIL = re.compile(
    r"(?P<star>\*)?(?P<tag>.{1,4}?)(?P<protected> *\(Protected\))?"
    r"(?: *Process: *(?P<process>[0-9a-fA-F`]+))? *$"
)
_OWNING = re.compile(r"Owning\s+component\s*:\s*")


class _ToItem:
    """Each line's tree to a tagged tuple: (`page`|`entry`|`info`|`component`|`row`|`error`,
    …). A line's tree is one rule over tokens, so its method is called directly (`item`) rather
    than through a lark Transformer's walk of every token."""

    def item(self, tree: Tree) -> tuple[Any, ...] | None:
        method: Callable[[list[Token]], tuple[Any, ...] | None] = getattr(self, str(tree.data))
        return method(tree.children)

    def page(self, items: list[Token]) -> tuple[str, str | None, str]:
        return "page", hex_str(str(items[1])), _REGION_IS.sub("", str(items[2]), count=1).strip()

    def entry(self, items: list[Token]) -> tuple[str, PoolEntry] | None:
        marked = items[0].type == "MARK"
        address, size, previous, state, tail = items[1:] if marked else items
        return _entry(marked, str(address), str(size), str(previous), str(state), str(tail))

    def large(self, items: list[Token]) -> tuple[str, PoolEntry]:
        hexes = [str(t) for t in items if t.type == "HEXVAL"]
        tag = next(str(t) for t in items if t.type == "LARGE_TAG")
        return "entry", PoolEntry(
            address=hex_str(hexes[0]),
            size=hex_str(hexes[1]),
            state="Free" if any(t.type == "FREE" for t in items) else "Allocated",
            tag=tag.rstrip(),
            highlighted=True,
            kind="large",
        )

    def special(self, items: list[Token]) -> tuple[str, PoolEntry]:
        return "entry", PoolEntry(
            address=next(hex_str(str(t)) for t in items if t.type == "HEXVAL"),
            size=next(_field_value(t) for t in items if t.type == "SIZE"),
            tag=str(items[-1]).rstrip(),
            highlighted=True,
            kind="special",
        )

    def tag_info(self, items: list[Token]) -> tuple[str, str, str | None, str | None]:
        description, _, owner = str(items[2]).partition(", Owner : ")
        description, _, binary = description.partition(", Binary : ")
        return "info", description.strip(), binary.strip() or None, owner.strip() or None

    def component(self, items: list[Token]) -> tuple[str, str]:
        return "component", _OWNING.sub("", str(items[0]), count=1).strip()

    def data_row(self, items: list[Token]) -> tuple[str, str | None, list[str | None]]:
        address, *values = str(items[0]).split()
        return "row", hex_str(address), [hex_str(v) for v in values]

    def error(self, items: list[Token]) -> tuple[str, str]:
        return "error", str(items[0]).strip()


_TRANSFORMER = _ToItem()

# The grammar's `entry` line, its terminals one atomic group each (a token, once matched, is
# not given back) and `[ \t]*` where the grammar ignores WS_INLINE between them. Most lines of
# a block are entries, at ~6 lark tokens each, so these are read here and only the other lines
# go to lark; tests check on the corpus that both readings agree. No other terminal lark tries
# at a line's start (ERROR, ROW) can match such a line, and `special` differs after SIZE.
_ENTRY = re.compile(
    r"(?P<mark>\*)?[ \t]*(?P<address>(?>(?:0[xX])?[0-9a-fA-F]+(?:`[0-9a-fA-F]+)?))[ \t]*"
    r"(?P<size>(?>size:[^\S\n]*[0-9a-fA-F]+))[ \t]*"
    r"(?P<previous>(?>previous[^\S\n]+size:[^\S\n]*[0-9a-fA-F]+))[ \t]*"
    r"(?P<state>\((?:Allocated|Free ?)\))[ \t]*(?P<tail>\S[^\n]*)"
)


def _entry(
    marked: bool, address: str, size: str, previous: str, state: str, tail: str
) -> tuple[str, PoolEntry] | None:
    """The item of an entry line from its tokens' texts (None when `_TAIL` cannot split the
    tail), whether lark or `_ENTRY` read them."""
    m = _TAIL.match(tail)
    if m is None:
        return None
    star, tag = m["star"] is not None, m["tag"]
    # The tag's `*` is the marker the address carries too; without that marker only a full
    # four-character tag after it shows it is one (a tag may itself start with `*`).
    if star and not marked and len(tag) < 4:
        star, tag = False, "*" + tag
    return "entry", PoolEntry(
        address=hex_str(address),
        size=_field_value(size),
        previous_size=_field_value(previous),
        state=state[1:-1].strip(),
        tag=tag.rstrip(),
        protected=m["protected"] is not None,
        process=hex_str(m["process"]),
        highlighted=marked or star,
    )


def _field_value(token: str) -> str | None:
    """The hex number of a `size:   c0` or `previous size:   20` token."""
    return hex_str(token.rsplit(":", 1)[1].strip())


def parse(lines: list[Line]) -> Parsed[PoolRecord]:
    """Read every line of one `!pool` block; what no form reads becomes a diagnostic."""
    kept = [(line, text) for line in lines if (text := line.text.strip())]
    record = PoolRecord()
    diagnostics: list[Diagnostic] = []
    for (line, text), item in zip(kept, _read([text for _, text in kept]), strict=True):
        if item is None:
            diagnostics.append(Diagnostic(line.no, f"not a !pool line: {text[:60]}"))
            continue
        problem = _store(record, item, line.no)
        if problem:
            diagnostics.append(Diagnostic(line.no, problem))
    return Parsed(record, diagnostics)


def _read(texts: list[str]) -> list[tuple[Any, ...] | None]:
    """The item of each stripped line (None where the grammar refuses it): entry lines by
    `_ENTRY`, the page, tag and one-token lines by `_row_item`, the others by `_read_grammar` in
    one call."""
    items: list[tuple[Any, ...] | None] = []
    rest: list[int] = []
    for text in texts:
        m = _ENTRY.fullmatch(text)
        item = _row_item(text) if m is None else _entry(m["mark"] is not None, *m.group(*_ENTRY_TOKENS))
        if item is None:
            rest.append(len(items))
        items.append(item)
    for i, item in zip(rest, _read_grammar([texts[i] for i in rest]), strict=True):
        items[i] = item
    return items


_ENTRY_TOKENS = ("address", "size", "previous", "state", "tail")


@cache
def _rows() -> dict[str, re.Pattern[str]]:
    """What follows the first token of a `page` and of a `tag_info` line as the grammar's lexer
    cuts it, built from its own terminals: HEXVAL then REGION; INFO_TAG, `:`, then INFO (the
    only terminals the parser accepts there), each an atomic group, as the lexer commits to each
    token, with the ignored blanks between them."""
    rx = terminal_regexes("pool")
    page, tag = (rx["HEXVAL"], rx["REGION"]), (rx["INFO_TAG"], rx["INFO"])
    return {
        "PAGE_AT": re.compile(rf"[ \t]*(?P<a>(?>{page[0]}))[ \t]*(?P<b>(?>{page[1]}))[ \t]*"),
        "POOLTAG": re.compile(rf"[ \t]*(?P<a>(?>{tag[0]}))[ \t]*:[ \t]*(?P<b>(?>{tag[1]}))[ \t]*"),
    }


def _row_item(text: str) -> tuple[Any, ...] | None:
    """The item of a line the grammar reads as one token (an error, a contents row, the owning
    component) or as a page or tag row, read with the grammar's own terminals as its lexer
    reads it, or None for the grammar to read the line (an entry's forms, a refused line)."""
    first = fast("pool").first(text)
    kind = first.lastgroup if first is not None else None
    if first is None or kind is None:
        return None
    if kind in _ONE_TOKEN:
        return getattr(_TRANSFORMER, _ONE_TOKEN[kind])([text]) if first.end() == len(text) else None
    rest = _rows().get(kind)
    m = rest.fullmatch(text, first.end()) if rest is not None else None
    if m is None:
        return None
    return getattr(_TRANSFORMER, _ROW_RULES[kind])([first.group(), *m.group("a", "b")])


# The rules of the lines that are one token, and of the rows `_rows` reads, by first terminal.
_ONE_TOKEN = {"ERROR": "error", "ROW": "data_row", "OWNING": "component"}
_ROW_RULES = {"PAGE_AT": "page", "POOLTAG": "tag_info"}


def _read_grammar(texts: list[str]) -> list[tuple[Any, ...] | None]:
    """The item of each stripped line (None where the grammar refuses it), the lines read in ONE
    lark call (lark's cost is per call as well as per token). When that call fails, the line it
    failed on is read alone and the lines either side of it again together. A line holding a
    newline is refused, as the grammar reads one line per `line`."""
    if not texts:
        return []
    if any("\n" in text for text in texts):
        return [None if "\n" in text else _read_grammar([text])[0] for text in texts]
    try:
        tree = fast("pool").parse("\n".join(texts))
    except UnexpectedInput as e:
        if len(texts) == 1:
            return [None]
        bad = min(e.line, len(texts)) - 1 if e.line > 0 else len(texts) - 1
        return [*_read_grammar(texts[:bad]), *_read_grammar([texts[bad]]), *_read_grammar(texts[bad + 1 :])]
    except LarkError:
        return [None] if len(texts) == 1 else [item for text in texts for item in _read_grammar([text])]
    return [_TRANSFORMER.item(sub) for sub in tree.children]


def _store(record: PoolRecord, item: tuple[Any, ...], line_no: int) -> str | None:
    """Put one line's item into the record; a reason when it cannot go anywhere."""
    kind = item[0]
    if kind == "page":
        if record.region is not None:
            return f"a second pool page header in one block: {item[1]} ({item[2]})"
        record.address, record.region = item[1], item[2]
        return None
    if kind == "entry":
        item[1].line = line_no
        record.entries.append(item[1])
        return None
    if kind == "error":
        record.errors.append(item[1])
        return None
    if not record.entries:
        return f"pool {'contents' if kind == 'row' else 'tag description'} before any entry"
    entry = record.entries[-1]
    if kind == "info":
        entry.tag_description, entry.binary, entry.owner = item[1], item[2], item[3]
    elif kind == "component":
        entry.owning_component = item[1]
    else:
        entry.contents.append(PoolDataRow(item[1], item[2], line_no))
    return None
