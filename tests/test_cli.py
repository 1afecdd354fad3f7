"""The `crashsift` command: files, stdin, formats, errors as one line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import CORPUS
from typer.testing import CliRunner

from crashsift.cli import app

runner = CliRunner()
SECOND = CORPUS / "seed" / "fltmgr-second-crash-k.txt"
SESSION = CORPUS / "seed" / "fltmgr-0x3b-session.txt"


def test_json_for_two_files() -> None:
    result = runner.invoke(app, ["parse", str(SESSION), str(SECOND)])
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [r["source"]["path"] for r in reports] == [str(SESSION), str(SECOND)]
    assert reports[0]["bugcheck"]["code"] == "0x3b"
    assert reports[0]["failure_bucket_id"] == "X64_0x3B_fltmgr!TreeUnlinkMulti+51"
    frames = reports[1]["stacks"][0]["frames"]
    assert len(frames) == 20
    assert (frames[0]["module"], frames[0]["function"], frames[0]["line"]) == ("nt", "KeBugCheckEx", 3)


def test_stdin_and_text_format() -> None:
    result = runner.invoke(app, ["parse", "--format", "text", "-"], input=SECOND.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.output
    assert "<stdin> lines 1-22 (kernel mode, x64)" in result.stdout
    assert "stack (command: k, 20 frames):" in result.stdout
    assert "  nt! ?? ::FNODOBFM::`string'+0x40edb" in result.stdout


def test_unreadable_file_is_one_line_and_others_still_parse(tmp_path) -> None:
    missing = tmp_path / "nope.txt"
    result = runner.invoke(app, ["parse", str(missing), str(SECOND)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"crashsift: {missing}: no such file"
    assert len(json.loads(result.stdout)) == 1


def test_directory_is_an_error(tmp_path) -> None:
    result = runner.invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"crashsift: {tmp_path}: is a directory"


def test_strict_fails_on_what_it_cannot_read() -> None:
    result = runner.invoke(app, ["parse", "--strict", str(SESSION)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"crashsift: strict: {SESSION}:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_for_every_command() -> None:
    assert runner.invoke(app, ["--help"]).exit_code == 0
    result = runner.invoke(app, ["parse", "--help"])
    assert result.exit_code == 0 and "--strict" in result.stdout


def test_entry_point_runs_as_module() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "crashsift", "parse", str(SECOND)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["mode"] == "kernel"
