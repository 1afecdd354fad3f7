"""`crashsift report`: the main job from the command line."""

from __future__ import annotations

from conftest import CORPUS
from typer.testing import CliRunner

from crashsift.cli import app

SEED = [str(CORPUS / "seed" / n) for n in ("fltmgr-0x3b-session.txt", "fltmgr-second-crash-k.txt")]


def test_report_writes_one_html_file(tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", *SEED, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "fltmgr!TreeUnlinkMulti" in page
    assert "wrote" in result.stderr and "2 reports" in result.stderr


def test_forum_formats_go_to_standard_output():
    md = CliRunner().invoke(app, ["report", "--format", "md", *SEED])
    assert md.exit_code == 0 and md.stdout.startswith("## Crash summary: 2 reports")
    bb = CliRunner().invoke(app, ["report", "-f", "bbcode", *SEED])
    assert bb.exit_code == 0 and bb.stdout.startswith("[b]Crash summary: 2 reports")


def test_a_directory_as_output_is_refused_before_any_work(tmp_path):
    result = CliRunner().invoke(app, ["report", *SEED, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"crashsift: {tmp_path}: is a directory"


def test_an_unreadable_file_is_one_line_and_the_rest_is_reported(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", SEED[0], str(tmp_path / "missing.txt"), "-o", str(out)])
    assert result.exit_code == 1
    assert f"crashsift: {tmp_path / 'missing.txt'}: no such file" in result.stderr
    assert "TreeUnlinkMulti" in out.read_text(encoding="utf-8")


def test_standard_input_is_one_more_paste():
    stdin = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--format", "md", "-", SEED[1]], input=stdin)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## Crash summary: 2 reports")
