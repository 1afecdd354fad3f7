"""`crashsift correlate`: JSON and text output, stable ids, unreadable files, CSV and GraphML."""

from __future__ import annotations

import importlib
import json
import sys
import types

import pandas as pd
import pytest
from conftest import CORPUS
from typer.testing import CliRunner

import crashsift.correlate
from crashsift.cli import app
from crashsift.correlate.records import from_report
from crashsift.pipeline import parse_file

runner = CliRunner()
SESSION = CORPUS / "seed" / "fltmgr-0x3b-session.txt"
SECOND = CORPUS / "seed" / "fltmgr-second-crash-k.txt"
ARTICLE = CORPUS / "seed" / "case-study-article.txt"
KEYS = ["reports", "buckets", "recurring_paths", "same_area", "shared", "contrasts"]


def _run(*args: str) -> dict:
    result = runner.invoke(app, ["correlate", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ids_by_place(out: dict) -> dict[tuple[str, int], str]:
    return {(r["path"], r["start_line"]): r["id"] for r in out["reports"]}


def _has_graph_build() -> bool:
    try:
        graph = importlib.import_module("crashsift.correlate.graph")
    except ImportError:
        return False
    return hasattr(graph, "build")


def test_json_keys_and_the_seed_pair() -> None:
    out = _run(str(SESSION), str(SECOND))
    assert list(out) == KEYS
    expected_ids = [from_report(r).id for path in (SESSION, SECOND) for r in parse_file(path)]
    assert [r["id"] for r in out["reports"]] == expected_ids
    assert list(out["reports"][0]) == ["id", "path", "start_line", "signature", "bucket"]
    assert out["reports"][0]["signature"] == "fltmgr!TreeUnlinkMulti"
    buckets = {b["id"]: b for b in out["buckets"]}
    for report in out["reports"]:
        assert report["id"] in buckets[report["bucket"]]["members"]
    assert all(list(b) == ["id", "signature", "members", "why"] and b["why"] for b in out["buckets"])
    assert {"kind": "function", "value": "fltmgr!TreeUnlinkMulti", "reports": sorted(expected_ids)} in out[
        "shared"
    ]
    assert out["contrasts"] == []  # two reports in two buckets: nothing to contrast


def test_ids_are_stable_across_runs_and_argument_order() -> None:
    first = _run(str(SESSION), str(SECOND), str(ARTICLE))
    again = _run(str(SESSION), str(SECOND), str(ARTICLE))
    reordered = _run(str(ARTICLE), str(SECOND), str(SESSION))
    assert first == again
    assert _ids_by_place(first) == _ids_by_place(reordered)
    assert len(set(_ids_by_place(first).values())) == 4  # the article holds two crashes
    assert sorted(json.dumps(s, sort_keys=True) for s in first["shared"]) == sorted(
        json.dumps(s, sort_keys=True) for s in reordered["shared"]
    )


def test_text_summary() -> None:
    result = runner.invoke(app, ["correlate", "--format", "text", str(SESSION), str(SECOND)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("2 report(s) in 2 bucket(s); 0 bucket(s) hold more than one report")
    assert "… and 2 bucket(s) of one report each" in text
    assert "Shared attributes (top 20):" in text
    assert "  function fltmgr!TreeUnlinkMulti: 2 report(s): " in text
    assert "  module fltmgr: 2 report(s): " in text


def test_text_shows_buckets_with_their_why_largest_first() -> None:
    result = runner.invoke(app, ["correlate", "-f", "text", str(ARTICLE), str(SESSION), str(SECOND)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    heads = [ln for ln in lines if ln.startswith("  B-")]
    assert [h.split("  ")[2] for h in heads] == ["2 report(s)", "2 report(s)"]
    assert lines[lines.index(heads[0]) + 1].startswith("    why: ")


def test_missing_file_is_one_line_and_the_others_still_correlate(tmp_path) -> None:
    missing = tmp_path / "nope.txt"
    result = runner.invoke(app, ["correlate", str(SESSION), str(missing), str(SECOND)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"crashsift: {missing}: no such file"
    out = json.loads(result.stdout)
    assert [r["path"] for r in out["reports"]] == [str(SESSION), str(SECOND)]
    assert out["shared"]


def test_directory_as_input_is_one_line(tmp_path) -> None:
    result = runner.invoke(app, ["correlate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"crashsift: {tmp_path}: is a directory"
    assert json.loads(result.stdout)["reports"] == []


def test_csv_files_written(tmp_path) -> None:
    folder = tmp_path / "csv"
    result = runner.invoke(app, ["correlate", "--csv", str(folder), str(SESSION), str(SECOND)])
    assert result.exit_code == 0, result.output
    reports = pd.read_csv(folder / "reports.csv")
    assert list(reports["path"]) == [str(SESSION), str(SECOND)]
    assert list(reports["n_frames"]) == [12, 20]
    assert len(pd.read_csv(folder / "frames.csv")) == 32
    assert pd.read_csv(folder / "buckets.csv")["size"].sum() == 2


def test_csv_onto_a_file_is_refused_before_any_work(tmp_path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    result = runner.invoke(app, ["correlate", "--csv", str(taken), str(SESSION)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"crashsift: {taken}: exists and is not a directory"
    assert result.stdout == ""
    assert taken.read_text() == "keep me"


def test_graphml_onto_a_directory_is_refused(tmp_path) -> None:
    result = runner.invoke(app, ["correlate", "--graphml", str(tmp_path), str(SESSION)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"crashsift: {tmp_path}: is a directory"


def test_graphml_into_a_missing_folder_is_refused(tmp_path) -> None:
    target = tmp_path / "nowhere" / "g.graphml"
    result = runner.invoke(app, ["correlate", "--graphml", str(target), str(SESSION)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"crashsift: {target}: no folder {target.parent} to write it in"


def test_graphml_without_graph_build_is_one_line(tmp_path, monkeypatch) -> None:
    empty = types.ModuleType("crashsift.correlate.graph")
    monkeypatch.setitem(sys.modules, "crashsift.correlate.graph", empty)
    monkeypatch.setattr(crashsift.correlate, "graph", empty, raising=False)
    target = tmp_path / "g.graphml"
    result = runner.invoke(app, ["correlate", "--graphml", str(target), str(SESSION)])
    assert result.exit_code == 2
    assert result.stderr.strip() == "crashsift: crashsift.correlate.graph has no build() yet"
    assert not target.exists()


@pytest.mark.skipif(not _has_graph_build(), reason="crashsift.correlate.graph.build is not written yet")
def test_graphml_written(tmp_path) -> None:
    import networkx as nx

    target = tmp_path / "graph.graphml"
    result = runner.invoke(app, ["correlate", "--graphml", str(target), str(SESSION), str(SECOND)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(target)
    ids = [r["id"] for r in json.loads(result.stdout)["reports"]]
    names = " ".join(str(n) for n in graph.nodes)
    assert graph.number_of_nodes() > 2
    assert all(rid in names for rid in ids)
