"""Fixture pairs: each `corpus/<group>/<name>.txt` with expected output written by hand.

`<name>.expected.json` is a JSON array with one object per report, holding the keys that were
checked by reading the paste. `<name>.<family>.expected.json` is an object
`{"kind": …, "blocks": [...]}` listing EVERY block of one command family in the paste, in
order, each with the `start_line`, `command` and `record` keys that were checked — so one
family's parser can be checked without touching another's fixture.

Matching is by subset: every key given must match (lists must have the same length and match
item by item); keys not given are not checked; keys starting with `_` are notes for people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS

from crashsift.model import to_jsonable
from crashsift.pipeline import parse_file

PAIRS = sorted(p for p in CORPUS.glob("*/*.expected.json") if p.name.count(".") == 2)
FAMILY_PAIRS = sorted(p for p in CORPUS.glob("*/*.expected.json") if p.name.count(".") == 3)


def mismatches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Every place where `actual` does not hold what `expected` says."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r:.80}"]
        out: list[str] = []
        for key, value in expected.items():
            if key.startswith("_"):
                continue
            if key not in actual:
                out.append(f"{where}.{key}: missing")
            else:
                out.extend(mismatches(value, actual[key], f"{where}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r:.80}"]
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items, got {len(actual)}"]
        return [
            m
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for m in mismatches(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def source_of(expected_path: Path) -> Path:
    return expected_path.with_name(expected_path.name.split(".")[0] + ".txt")


def test_there_are_fixture_pairs() -> None:
    assert len(PAIRS) >= 40
    for pair in PAIRS + FAMILY_PAIRS:
        assert source_of(pair).exists(), pair


@pytest.mark.parametrize("expected_path", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
def test_fixture(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    actual = to_jsonable(parse_file(source_of(expected_path)))
    problems = mismatches(expected, actual)
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("expected_path", FAMILY_PAIRS, ids=lambda p: f"{p.parent.name}/{p.name[:-14]}")
def test_family_fixture(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    family = expected_path.name.split(".")[1]
    assert expected["kind"] == family
    blocks = [b for r in to_jsonable(parse_file(source_of(expected_path))) for b in r["blocks"]]
    actual = sorted((b for b in blocks if b["kind"] == family), key=lambda b: b["start_line"])
    problems = mismatches(expected["blocks"], actual, f"{family} blocks")
    assert not problems, "\n".join(problems[:30])


def test_mismatches_reports_differences() -> None:
    assert mismatches({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2, "c": 3}], "d": 4}) == []
    assert mismatches({"a": 1}, {"a": 2}) == ["$.a: expected 1, got 2"]
    assert mismatches([1], [1, 2]) == ["$: expected 1 items, got 2"]
    assert mismatches({"x": 1}, {}) == ["$.x: missing"]
    assert mismatches({"_note": "ignored"}, {}) == []


def test_every_bundled_paste_has_its_provenance() -> None:
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0].split("\t")[:2] == ["file", "source"]
    listed = {row.split("\t")[0] for row in rows[1:]}
    pastes = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.txt")}
    assert pastes <= listed, sorted(pastes - listed)
