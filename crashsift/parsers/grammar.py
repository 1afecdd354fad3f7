"""Load the lark grammars shipped as package data (``parsers/grammars/*.lark``).

All grammars are LALR with lark's contextual lexer; shared terminals live in ``common.lark``
and are imported with ``%import .common.NAME``. Parsers are built once per process.

Building the LALR tables costs about a third of a second, which a one-paste command cannot
afford, so the built parsers are cached in the user's cache directory (``$XDG_CACHE_HOME`` or
``~/.cache``, under ``crashsift/``, created private). Lark checks a SHA-256 of the grammar,
the grammars it imports and the options before it uses a cached file, and rebuilds otherwise.
The shared temporary directory is never used: a cached parser is a pickle, and a file planted
there by someone else must not be loaded. Set ``CRASHSIFT_NO_CACHE=1`` to build every time.

A built parser is run by `FastParser` (`fast(name)`): lark's own tables, regexes and tree
callbacks without lark's objects per call and per token, which are most of its cost; it gives
lark's tree, and lark's error where lark refuses a text. `parse_each_line` and `LineReader`
serve the families whose output is a list of independent lines.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer
from lark.parsers.lalr_analysis import Shift

from crashsift.model import Diagnostic, Line, Parsed


def cache_dir() -> Path | None:
    """The private directory for built parsers, or None when it cannot be had."""
    if os.environ.get("CRASHSIFT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "crashsift"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK) or (hasattr(os, "getuid") and folder.stat().st_uid != os.getuid()):
        return None
    return folder


@cache
def load(name: str, start: str = "start", strict: bool = False) -> Lark:
    """The LALR parser for grammar `name` (cached). Tests pass strict=True to catch conflicts;
    a strict build is never read from the cache."""
    folder = None if strict else cache_dir()
    version = f"{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return Lark.open_from_package(
        "crashsift.parsers",
        f"{name}.lark",
        ("grammars",),
        parser="lalr",
        lexer="contextual",
        start=start,
        strict=strict,
        maybe_placeholders=False,
        propagate_positions=False,
        cache=str(folder / f"{name}-{start}-{version}.lark") if folder else False,
    )


@cache
def terminal_regexes(name: str) -> dict[str, str]:
    """Every terminal of grammar `name` by name, as the regex lark compiles for it: what the
    families' short cuts build their own regexes from, so they match what the lexer matches."""
    return {t.name: t.pattern.to_regexp() for t in load(name).terminals}


# A parser state's lexer as `FastParser` runs it: the match of lark's scanner, the ignored
# terminals, the terminals that may hold a newline, lark's token callbacks (they retype a
# keyword that a regex terminal also matches).
_StateLexer = tuple[
    Callable[[str, int], Any], frozenset[str], frozenset[str], dict[str, Callable[[Token], Token]]
]
# A reduction: how many symbols the rule takes off the stack, its tree callback, its name.
_Reduce = tuple[int, Callable[[list[Any]], Any], str]


def _state_lexer(lexer: BasicLexer) -> _StateLexer:
    scanner = lexer.scanner  # builds lark's scanner and its callbacks
    return _scanner_match(scanner._mres), lexer.ignore_types, lexer.newline_types, lexer.callback


def _scanner_match(mres: list[re.Pattern[str]]) -> Callable[[str, int], re.Match[str] | None]:
    """lark's scanner match: its regexes tried in turn (one, unless the terminals are too many
    for one regex's groups), the first match."""
    if len(mres) == 1:
        return mres[0].match
    return lambda text, pos: next((m for mre in mres if (m := mre.match(text, pos)) is not None), None)


class FastParser:
    """`Lark.parse` of one grammar (LALR, contextual lexer, no transformer), run without lark's
    objects per call and per token, which are most of lark's cost: lark's own parse table, its
    scanner regexes for each parser state (the terminals the state accepts and the ignored ones,
    in lark's order), its token callbacks and its tree callbacks. So the tree is lark's, and a
    text the grammar refuses raises what lark raises (`UnexpectedCharacters` where no terminal
    of the state matches, `UnexpectedToken` where another terminal of the grammar does, or where
    the parser cannot take a token or the end), at the same position, line and column. Tests
    check both on the corpus and on generated text."""

    def __init__(self, grammar: Lark) -> None:
        frontend = grammar.parser
        parser = frontend.parser.parser  # lark's LALR `_Parser`: the parse table, the tree callbacks
        table = parser.parse_table
        (start,) = grammar.options.start
        self._start: int = table.start_states[start]
        self._end: int = table.end_states[start]
        contextual = frontend.lexer
        self._root = _state_lexer(contextual.root_lexer)
        self._terminals = contextual.root_lexer.terminals_by_name
        size = max(table.states) + 1
        self._lexers: list[_StateLexer] = [self._root] * size
        self._allowed: list[set[str]] = [set() for _ in range(size)]
        self._expected: list[set[str]] = [set() for _ in range(size)]
        self._shifts: list[dict[str, int]] = [{} for _ in range(size)]
        self._reduces: list[dict[str, _Reduce]] = [{} for _ in range(size)]
        for state, actions in table.states.items():
            lexer = contextual.lexers[state]
            self._lexers[state] = _state_lexer(lexer)
            self._allowed[state] = (lexer.scanner.allowed_types - lexer.ignore_types) or {"<END-OF-FILE>"}
            self._expected[state] = {symbol for symbol in actions if symbol.isupper()}
            for symbol, (action, arg) in actions.items():
                if action is Shift:
                    self._shifts[state][symbol] = arg
                else:
                    rule = (len(arg.expansion), parser.callbacks[arg], arg.origin.name)
                    self._reduces[state][symbol] = rule

    def first(self, text: str) -> re.Match[str] | None:
        """The first token lark's lexer takes at the start of `text` (its terminal is the
        match's `lastgroup`; no lexer callback retypes it), or None when none matches."""
        return self._lexers[self._start][0](text, 0)

    def parse(self, text: str) -> Tree:
        """The tree lark builds for `text`; raises what lark raises when the grammar refuses it."""
        stack = [self._start]
        values: list[Any] = []
        lexers, shifts = self._lexers, self._shifts
        pos, line, column, line_start, end = 0, 1, 1, 0, len(text)
        last: Token | None = None
        while pos < end:
            match, ignore, newline, callback = lexers[stack[-1]]
            m = match(text, pos)
            if m is None:
                raise self._refused(text, pos, line, column, stack[-1], last)
            kind, value, after = m.lastgroup, m.group(), m.end()
            start, start_line, start_column = pos, line, column
            if kind in newline and (count := value.count("\n")):
                line += count
                line_start = pos + value.rindex("\n") + 1
            pos, column = after, after - line_start + 1
            if kind in ignore and kind not in callback:
                continue
            token = Token(kind, value, start, start_line, start_column, line, column, after)
            if kind in callback:
                token = callback[kind](token)
                if kind in ignore:
                    continue
            last = token
            target = shifts[stack[-1]].get(token.type)
            if target is None:  # reduce first
                self._feed(stack, values, token, False)
            else:
                stack.append(target)
                values.append(token)
        end_token = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", "", 0, 1, 1)
        return self._feed(stack, values, end_token, True)  # type: ignore[no-any-return]

    def _feed(self, stack: list[int], values: list[Any], token: Token, is_end: bool) -> Any:
        """lark's `ParserState.feed_token`: reduce as the table says, then shift `token` (or,
        at the end, return the tree once the start rule is reduced)."""
        kind = token.type
        shifts, reduces = self._shifts, self._reduces
        while True:
            state = stack[-1]
            target = shifts[state].get(kind)
            if target is not None:
                stack.append(target)
                values.append(token)
                return None
            reduce = reduces[state].get(kind)
            if reduce is None:
                raise UnexpectedToken(token, self._expected[state])
            size, callback, origin = reduce
            if size:
                children = values[-size:]
                del stack[-size:], values[-size:]
            else:
                children = []
            values.append(callback(children))
            stack.append(shifts[stack[-1]][origin])
            if is_end and stack[-1] == self._end:
                return values[-1]

    def _refused(
        self, text: str, pos: int, line: int, column: int, state: int, last: Token | None
    ) -> UnexpectedCharacters | UnexpectedToken:
        """What lark's contextual lexer raises where no terminal of the state matches: an
        `UnexpectedToken` when a terminal of the whole grammar matches there, else the state's
        `UnexpectedCharacters`."""
        allowed, terminals = self._allowed[state], self._terminals
        match, ignore, _, callback = self._root
        found = match(text, pos)
        if found is None or found.lastgroup in ignore:
            history = [last] if last is not None else None
            return UnexpectedCharacters(
                text, pos, line, column, allowed=allowed, token_history=history, terminals_by_name=terminals
            )
        token = Token(found.lastgroup, found.group(), pos, line, column)
        if token.type in callback:
            token = callback[token.type](token)
        return UnexpectedToken(token, allowed, token_history=[last], terminals_by_name=terminals)


@cache
def fast(name: str) -> FastParser:
    """The `FastParser` of grammar `name` (cached)."""
    return FastParser(load(name))


class LineReader:
    """Reads the tree of a line whose `start` is one rule over tokens by calling the method
    named after that rule with the tokens: cheaper than a lark Transformer's walk."""

    def read(self, tree: Tree) -> Any:
        row: Tree = tree.children[0]  # type: ignore[assignment]  # `start` is one rule's tree
        return getattr(self, row.data)(row.children)


def parse_each_line(
    name: str,
    reader: LineReader,
    lines: list[Line],
    what: str,
    short_cut: Callable[[str], Any] | None = None,
) -> Parsed[list[Any]]:
    """Parse every non-blank line alone with grammar `name` and read it with `reader`: the
    values read, in order, and a diagnostic (`not {what}: …`) for each line the grammar
    refuses. For the small command families whose output is a list of independent lines.
    `short_cut(text)` reads the common lines as the grammar and `reader` would, without the
    grammar (None for a line it leaves to them)."""
    parser = fast(name)
    values: list[Any] = []
    diagnostics: list[Diagnostic] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        value = short_cut(text) if short_cut is not None else None
        if value is not None:
            values.append(value)
            continue
        try:
            values.append(reader.read(parser.parse(text)))
        except LarkError:
            diagnostics.append(Diagnostic(line.no, f"not {what}: {text[:60]}"))
    return Parsed(values, diagnostics)
