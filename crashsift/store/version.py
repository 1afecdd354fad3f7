"""Which parser made a stored report: the package version and a hash of the code that reads
pastes (parsers, grammars, repair, segmentation, facts, evidence, correlation), so any change to
how text is read marks older reports for `crashsift reparse`."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from crashsift import __version__

READERS = ("parsers", "parsers/grammars", "evidence", "correlate", "correlate/data", "data", ".")


@cache
def parser_version() -> str:
    digest = hashlib.sha256()
    root = resources.files("crashsift")
    for folder in READERS:
        here = root.joinpath(folder) if folder != "." else root
        for item in sorted(here.iterdir(), key=lambda p: p.name):
            if item.is_file() and item.name.endswith((".py", ".lark", ".tsv", ".txt")):
                digest.update(item.name.encode())
                digest.update(item.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"
