"""The crash store: verbatim pastes, idempotent and atomic ingestion, similar past crashes."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import CORPUS

from crashsift.store import PasteTooLarge, Store, schema
from crashsift.store.version import parser_version

SESSION = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
SECOND = (CORPUS / "seed" / "fltmgr-second-crash-k.txt").read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "crashes.db") as s:
        yield s


def test_a_paste_is_kept_verbatim_and_the_same_paste_twice_is_seen_twice(store):
    first = store.ingest(SESSION, "forum post 1", received="2026-03-02T10:00:00+00:00")
    again = store.ingest(SESSION, "forum post 7", received="2026-03-09T10:00:00+00:00")
    assert (first.new, again.new) == (True, False)
    assert again.paste_id == first.paste_id and again.times_seen == 2
    assert again.report_ids == first.report_ids == ["p1-1"]
    assert store.paste_text(first.paste_id) == SESSION  # byte for byte
    assert store.counts() == {"pastes": 1, "arrivals": 2, "reports": 1, "buckets": 1}


def test_the_second_seed_crash_finds_the_first_with_the_reason(store):
    first = store.ingest(SESSION, "seed session", received="2026-03-02T10:00:00+00:00")
    second = store.ingest(SECOND, "second crash", received="2026-03-20T10:00:00+00:00")
    [similar] = store.similar(second.report_ids[0])
    assert similar.report_id == first.report_ids[0]
    # fltmgr!TreeUnlinkMulti is the session's top frame and the third of the second crash once
    # KeBugCheckEx, the cold block and KiPageFault are gone.
    assert similar.reasons[0].startswith(
        "same area: both run fltmgr!TreeUnlinkMulti (frame 3 here, 1 there) near the crash"
    )
    assert store.report(second.report_ids[0]).bucket != store.report(first.report_ids[0]).bucket


def test_a_report_stores_the_json_contract_with_its_findings(store):
    rid = store.ingest(SESSION, "s").report_ids[0]
    stored = store.report(rid)
    assert stored.signature == "fltmgr!TreeUnlinkMulti" and stored.bugcheck == "0x3b"
    assert {f["kind"] for f in stored.findings} >= {"fault-decode", "corruption-pattern"}
    assert stored.parser_version == parser_version()


def test_buckets_with_their_trend(store):
    store.ingest(SESSION, "a", received="2026-03-02T10:00:00+00:00")
    store.ingest(SESSION.replace("CarboniteServi", "OtherProcess"), "b", received="2026-03-10T09:00:00+00:00")
    [bucket] = store.buckets()
    info = store.bucket(bucket.id)
    assert info.size == 2 and info.signature == "fltmgr!TreeUnlinkMulti"
    assert (info.first_seen, info.last_seen) == ("2026-03-02T10:00:00+00:00", "2026-03-10T09:00:00+00:00")
    assert info.weekly == [("2026-W10", 1), ("2026-W11", 1)]


def test_too_large_a_paste_is_refused_whole(tmp_path):
    with Store(tmp_path / "s.db", max_bytes=1000) as small:
        with pytest.raises(PasteTooLarge, match="the limit is 1,000 bytes"):
            small.ingest("x" * 1001, "big")
        assert small.counts()["pastes"] == 0


def test_reparse_rebuilds_reports_an_older_parser_made(store):
    rid = store.ingest(SESSION, "s").report_ids[0]
    store.db.execute("UPDATE reports SET parser_version = 'old', signature = 'stale'")
    assert store.reparse() == 1
    assert store.report(rid).signature == "fltmgr!TreeUnlinkMulti"
    assert store.reparse() == 0  # nothing stale left


def test_schema_version_and_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "v.db"
    Store(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
    db.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    db.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer than this crashsift"):
        Store(path)


def test_a_failed_paste_leaves_nothing_behind(store, monkeypatch):
    import crashsift.store as module

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "bucket_for", broken)
    with pytest.raises(RuntimeError):
        store.ingest(SESSION, "s")
    assert store.counts() == {"pastes": 0, "arrivals": 0, "reports": 0, "buckets": 0}


def test_a_paste_without_a_crash_is_parsed_again_by_a_newer_parser(store):
    paste = store.ingest("\n\n", "an empty note")
    assert paste.report_ids == []
    store.db.execute("UPDATE pastes SET parser_version = 'old'")
    assert store.reparse() == 1
    assert store.reparse() == 0


def test_one_store_shared_by_threads_stays_consistent(store):
    from concurrent.futures import ThreadPoolExecutor

    texts = [SESSION.replace("CarboniteServi", f"Process{i % 6}") for i in range(30)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda t: store.ingest(t, "thread"), texts))
    assert sum(r.new for r in results) == 6
    assert store.counts() == {"pastes": 6, "arrivals": 30, "reports": 6, "buckets": 1}


def test_a_store_at_schema_version_1_gains_the_paste_parser_version(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in schema._statements(schema.MIGRATIONS[0]):
        db.execute(statement)
    db.execute("INSERT INTO pastes (sha256, text, source, first_received) VALUES ('x', 't', 's', 'now')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert store.db.execute("SELECT parser_version FROM pastes").fetchone()[0] is None
        assert store.reparse() == 1  # no version known: parsed again
