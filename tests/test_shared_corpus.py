"""Every real paste in ../shared/corpus parses without an exception (skipped when absent)."""

from __future__ import annotations

import pytest
from conftest import SHARED_CORPUS

from crashsift.pipeline import parse_file

FILES = sorted(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpus is not here (it is not part of a clone)")


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parses_without_exception(path) -> None:
    reports = parse_file(path)
    total = sum(1 for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    for rep in reports:
        assert 1 <= rep.source.start_line <= rep.source.end_line <= max(total, 1)
        for block in rep.blocks:
            assert rep.source.start_line <= block.start_line <= block.end_line <= rep.source.end_line
