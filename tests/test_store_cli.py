"""The store's commands: `crashsift ingest`, `buckets`, `show`, `reparse`, `report --db`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import CORPUS
from typer.testing import CliRunner

from crashsift.cli import app
from crashsift.pipeline import MAX_BYTES
from crashsift.store import Store, schema

SESSION = CORPUS / "seed" / "fltmgr-0x3b-session.txt"
SECOND = CORPUS / "seed" / "fltmgr-second-crash-k.txt"
runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "crashes.db"


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def seeded(db, *received: str) -> list[str]:
    """The two seed crashes stored at the given times (session first); their report ids."""
    with Store(db) as store:
        texts = [SESSION.read_text(encoding="utf-8"), SECOND.read_text(encoding="utf-8")]
        return [store.ingest(t, "seed", when).report_ids[0] for t, when in zip(texts, received, strict=True)]


# --- ingest ----------------------------------------------------------------------------------


def test_ingest_the_two_seeds_then_one_again(db):
    first = run("ingest", "--db", db, SESSION, SECOND)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{db}: pastes: 2 new, 0 seen again; reports: 2; buckets: 0 joined, 2 new\n"
    again = run("ingest", "--db", db, SESSION)
    assert again.exit_code == 0
    assert "pastes: 0 new, 1 seen again; reports: 0; buckets: 0 joined, 0 new" in again.stdout
    with Store(db) as store:
        assert store.counts() == {"pastes": 2, "arrivals": 3, "reports": 2, "buckets": 2}
        sources = [r[0] for r in store.db.execute("SELECT source FROM arrivals ORDER BY id")]
    assert sources == [SESSION.name, SECOND.name, SESSION.name]  # the file's name, not its path


def test_a_new_crash_of_a_known_bucket_is_counted_as_joined(db, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(SESSION.read_text(encoding="utf-8").replace("CarboniteServi", "OtherProcess"))
    run("ingest", "--db", db, SESSION)
    result = run("ingest", "--db", db, other, SECOND)
    assert "pastes: 2 new, 0 seen again; reports: 2; buckets: 1 joined, 1 new" in result.stdout


def test_an_unreadable_file_is_one_line_and_the_others_go_in(db, tmp_path):
    missing = tmp_path / "missing.txt"
    result = run("ingest", "--db", db, missing, SESSION)
    assert result.exit_code == 1
    assert result.stderr == f"crashsift: {missing}: no such file\n"
    assert (
        "pastes: 1 new, 0 seen again; reports: 1; buckets: 0 joined, 1 new; not ingested: 1" in result.stdout
    )


def test_too_large_a_file_is_one_line_and_never_read(db, tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # sparse: costs no disk
        f.truncate(MAX_BYTES + 1)
    result = run("ingest", "--db", db, big, SECOND)
    assert result.exit_code == 1
    assert result.stderr == f"crashsift: {big}: {MAX_BYTES + 1:,} bytes; the limit is {MAX_BYTES:,} bytes\n"
    with Store(db) as store:
        assert store.counts()["pastes"] == 1


def test_standard_input_is_one_paste_with_the_source_given(db):
    text = SECOND.read_text(encoding="utf-8")
    result = run("ingest", "--db", db, "--source", "forum thread 42", "-", stdin=text)
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.paste_text(1) == text
        assert store.db.execute("SELECT source FROM arrivals").fetchone()[0] == "forum thread 42"


def test_without_db_the_store_is_the_default_path(tmp_path, monkeypatch):
    import crashsift.store.cli_support as support

    place = tmp_path / "data" / "crashsift.db"
    monkeypatch.setattr(support, "default_path", lambda: place)
    assert run("ingest", SESSION).exit_code == 0
    assert run("buckets").stdout.count("fltmgr!TreeUnlinkMulti") == 1
    assert place.is_file()


# --- what --db accepts -----------------------------------------------------------------------


def test_a_directory_is_not_a_store(tmp_path):
    result = run("ingest", "--db", tmp_path, SESSION)
    assert result.exit_code == 2
    assert result.stderr == f"crashsift: {tmp_path}: is a directory, not a crashsift store\n"


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just notes " * 100)
    before = notes.read_bytes()
    result = run("ingest", "--db", notes, SESSION)
    assert result.exit_code == 2
    assert result.stderr == f"crashsift: {notes}: not a crashsift store (file is not a database)\n"
    assert notes.read_bytes() == before


def test_another_programs_database_is_refused_untouched(tmp_path):
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE settings (k TEXT, v TEXT)")
    conn.close()
    result = run("ingest", "--db", other, SESSION)
    assert result.exit_code == 2
    assert "not a crashsift store (an SQLite database without the store's tables)" in result.stderr
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["settings"]
    conn.close()


def test_a_newer_store_is_refused(db):
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    conn.close()
    result = run("buckets", "--db", db)
    assert result.exit_code == 2
    assert f"store schema version {schema.VERSION + 1} is newer than this crashsift" in result.stderr


def test_an_empty_file_becomes_a_store(db):
    db.touch()
    assert run("ingest", "--db", db, SESSION).exit_code == 0
    assert run("buckets", "--db", db).exit_code == 0


def test_the_queries_refuse_a_store_that_is_not_there(db):
    for args in (["buckets"], ["show", "p1-1"], ["reparse"], ["report"]):
        result = run(*args, "--db", db)
        assert result.exit_code == 2, args
        assert result.stderr.startswith(f"crashsift: {db}: no store here yet")
    assert not db.exists()


# --- buckets and show ------------------------------------------------------------------------


def test_buckets_largest_first_with_first_and_last_seen(db):
    with Store(db) as store:
        text = SESSION.read_text(encoding="utf-8")
        store.ingest(text, "a", "2026-03-02T10:00:00+00:00")
        store.ingest(text.replace("CarboniteServi", "OtherProcess"), "b", "2026-03-10T09:00:00+00:00")
        store.ingest(SECOND.read_text(encoding="utf-8"), "c", "2026-03-05T08:00:00+00:00")
    rows = json.loads(run("buckets", "--db", db, "--format", "json").stdout)
    assert [(r["size"], r["signature"]) for r in rows] == [
        (2, "fltmgr!TreeUnlinkMulti"),
        (1, "nt!RtlDeleteNoSplay | fltmgr!TreeUnlinkNoBalance"),
    ]
    assert (rows[0]["first_seen"], rows[0]["last_seen"]) == (
        "2026-03-02T10:00:00+00:00",
        "2026-03-10T09:00:00+00:00",
    )
    text = run("buckets", "--db", db).stdout.splitlines()
    assert text[0].split() == ["bucket", "reports", "first", "seen", "last", "seen", "signature"]
    assert text[1].split()[1:] == [
        "2",
        "2026-03-02T10:00:00+00:00",
        "2026-03-10T09:00:00+00:00",
        "fltmgr!TreeUnlinkMulti",
    ]


def test_buckets_of_an_empty_store(db):
    Store(db).close()
    assert run("buckets", "--db", db).stdout == "no crashes stored yet\n"
    assert json.loads(run("buckets", "--db", db, "-f", "json").stdout) == []


def test_show_the_second_seed_lists_the_first_with_the_reason(db):
    first, second = seeded(db, "2026-03-02T10:00:00+00:00", "2026-03-20T10:00:00+00:00")
    result = run("show", second, "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"report {second}: paste 2, lines 1-22, received 2026-03-20T10:00:00+00:00"
    assert "  signature nt!RtlDeleteNoSplay | fltmgr!TreeUnlinkNoBalance" in lines
    assert "similar crashes: 1" in lines
    at = lines.index("similar crashes: 1")
    assert lines[at + 1].split()[:3] == [first, "score", "0.09"]
    assert lines[at + 2].startswith(
        "    same area: both run fltmgr!TreeUnlinkMulti (frame 3 here, 1 there) near the crash"
    )
    shown = json.loads(run("show", second, "--db", db, "--format", "json").stdout)
    assert shown["kind"] == "report" and shown["report"]["id"] == second
    assert [s["report_id"] for s in shown["similar"]] == [first]
    assert shown["bucket"]["members"] == [second]


def test_show_a_report_with_its_findings(db):
    first, _ = seeded(db, "2026-03-02T10:00:00+00:00", "2026-03-20T10:00:00+00:00")
    lines = run("show", first, "--db", db).stdout.splitlines()
    assert lines[2].startswith("  bug check 0x3b SYSTEM_SERVICE_EXCEPTION (0xc0000005, ")
    findings = [ln for ln in lines if ln.startswith("  [")]
    assert any("fault-decode" in ln for ln in findings) and any("corruption-pattern" in ln for ln in findings)
    assert lines[-3] == "similar crashes: 1"  # the second seed, stored later: similarity works both ways
    assert lines[-1].startswith("    same area: both run fltmgr!TreeUnlinkMulti (frame 1 here, 3 there)")


def test_show_a_bucket_with_its_members_and_weeks(db):
    with Store(db) as store:
        text = SESSION.read_text(encoding="utf-8")
        store.ingest(text, "a", "2026-03-02T10:00:00+00:00")
        store.ingest(text.replace("CarboniteServi", "OtherProcess"), "b", "2026-03-10T09:00:00+00:00")
        [bucket] = store.buckets()
    result = run("show", bucket.id, "--db", db)
    assert result.stdout.splitlines() == [
        f"bucket {bucket.id}: fltmgr!TreeUnlinkMulti",
        "  2 reports, first seen 2026-03-02T10:00:00+00:00, last seen 2026-03-10T09:00:00+00:00",
        "per week: 2026-W10 1, 2026-W11 1",
        "members: 2",
        "  p1-1",
        "  p2-1",
    ]
    shown = json.loads(run("show", bucket.id, "--db", db, "-f", "json").stdout)
    assert shown["kind"] == "bucket" and shown["weekly"] == [["2026-W10", 1], ["2026-W11", 1]]


def test_show_something_unknown_is_one_line(db):
    Store(db).close()
    result = run("show", "p9-9", "--db", db)
    assert result.exit_code == 1
    assert result.stderr == f"crashsift: p9-9: no such report or bucket in {db}\n"


# --- reparse and report --db -----------------------------------------------------------------


def test_reparse_counts_what_it_rebuilt(db):
    seeded(db, "2026-03-02T10:00:00+00:00", "2026-03-20T10:00:00+00:00")
    assert "reparsed 0 pastes" in run("reparse", "--db", db).stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE reports SET parser_version = 'old' WHERE id = 'p1-1'")
    conn.close()
    assert "reparsed 1 pastes" in run("reparse", "--db", db).stdout
    assert "reparsed 2 pastes" in run("reparse", "--db", db, "--all").stdout


def test_report_of_the_store(db, tmp_path):
    seeded(db, "2026-03-02T10:00:00+00:00", "2026-03-20T10:00:00+00:00")
    out = tmp_path / "store.html"
    result = run("report", "--db", db, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 reports, 2 buckets" in result.stderr
    assert "fltmgr!TreeUnlinkMulti" in out.read_text(encoding="utf-8")
    md = run("report", "--db", db, "--format", "md")
    assert md.stdout.startswith("## Crash summary: 2 reports")


def test_report_of_the_store_and_more_files(db):
    seeded(db, "2026-03-02T10:00:00+00:00", "2026-03-20T10:00:00+00:00")
    md = run("report", "--db", db, SESSION, "-f", "md")
    assert md.stdout.startswith("## Crash summary: 3 reports")


def test_report_needs_files_or_a_store():
    result = run("report")
    assert result.exit_code == 2
    assert result.stderr == "crashsift: report: give files to read (PATH…) or a store (--db STORE)\n"
