"""The store under stress: concurrent writers (threads and processes), `kill -9` mid-ingest,
migrations from an empty file, and files that are not stores."""

from __future__ import annotations

import hashlib
import itertools
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS, corpus_inputs

from crashsift.pipeline import parse_text
from crashsift.store import Store, schema

SESSION = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
SECOND = (CORPUS / "seed" / "fltmgr-second-crash-k.txt").read_text(encoding="utf-8")
INGEST = [sys.executable, "-m", "crashsift", "ingest"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def variants(count: int) -> list[str]:
    """Distinct pastes, one crash each: the seed session with another process name."""
    return [SESSION.replace("CarboniteServi", f"Proc{i:04d}") for i in range(count)]


def write_all(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir()
    paths = [folder / f"paste{i:05d}.txt" for i in range(len(texts))]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def window(items: list, start: int, width: int) -> list:
    """`width` items from `start`, wrapping: windows of neighbouring writers overlap."""
    return [items[(start + i) % len(items)] for i in range(width)]


def check_consistent(db: Path, expected_reports: dict[str, int]) -> sqlite3.Connection:
    """Integrity ok; every paste holds exactly the reports its text parses into, each with its
    frames; no arrival without its paste. Returns an open connection for further checks."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    rows = conn.execute(
        "SELECT p.sha256, COUNT(r.id) FROM pastes p LEFT JOIN reports r ON r.paste_id = p.id GROUP BY p.id"
    ).fetchall()
    assert {digest: n for digest, n in rows} == {digest: expected_reports[digest] for digest, _ in rows}
    frameless = conn.execute(
        "SELECT COUNT(*) FROM reports WHERE signature LIKE '%!%' AND id NOT IN (SELECT report_id FROM frames)"
    ).fetchone()[0]
    assert frameless == 0
    orphans = conn.execute("SELECT COUNT(*) FROM arrivals WHERE paste_id NOT IN (SELECT id FROM pastes)")
    assert orphans.fetchone()[0] == 0
    return conn


# --- concurrency -----------------------------------------------------------------------------


def arrival_count(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM arrivals").fetchone()[0]
    finally:
        conn.close()


def test_threads_and_processes_ingesting_at_once_lose_nothing_and_duplicate_nothing(tmp_path):
    db = tmp_path / "shared.db"
    Store(db).close()  # made first: a brand-new file's switch to WAL is not what is tested here
    texts = variants(24)
    files = write_all(tmp_path / "pastes", texts)
    thread_sets = [window(texts, 3 * k, 30) for k in range(8)]  # 8 threads, 30 pastes each
    process_sets = [window(files, 5 * k + 1, 60) for k in range(3)]  # 3 `crashsift ingest`, 60 each
    submitted = Counter(sha(t) for chosen in thread_sets for t in chosen)
    submitted.update(sha(p.read_text(encoding="utf-8")) for chosen in process_sets for p in chosen)

    procs = [
        subprocess.Popen([*INGEST, "--db", str(db), *map(str, chosen)], stdout=subprocess.PIPE, text=True)
        for chosen in process_sets
    ]
    errors: list[BaseException] = []

    def writer(k: int, chosen: list[str]) -> None:
        try:
            with Store(db) as store:  # one Store (one connection) per thread
                for text in chosen:
                    store.ingest(text, f"thread {k}")
        except BaseException as err:  # handed to the test thread
            errors.append(err)

    deadline = time.monotonic() + 60
    while arrival_count(db) == 0 and time.monotonic() < deadline:  # the processes are writing
        time.sleep(0.005)
    threads = [threading.Thread(target=writer, args=(k, c)) for k, c in enumerate(thread_sets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert errors == []
    assert [p.returncode for p in procs] == [0, 0, 0], outputs

    conn = check_consistent(db, {sha(t): 1 for t in texts})
    seen = dict(conn.execute("SELECT sha256, times_seen FROM pastes").fetchall())
    assert seen == dict(submitted)  # every distinct paste once, counted as often as it was sent
    arrivals = conn.execute("SELECT COUNT(*) FROM arrivals").fetchone()[0]
    assert arrivals == sum(submitted.values()) == 8 * 30 + 3 * 60
    assert conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == len(texts)
    assert conn.execute("SELECT COUNT(DISTINCT bucket) FROM reports").fetchone()[0] == 1  # one crash
    order = ["thread" in s for (s,) in conn.execute("SELECT source FROM arrivals ORDER BY id")]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert switches >= 10, "threads and processes did not write at the same time"
    conn.close()


def test_processes_migrating_the_same_new_store_at_once_all_succeed(tmp_path):
    """The first opening migrates; several at the same moment must not run a step twice. The
    empty store is already in WAL mode: switching a brand-new file to WAL (`Store.__init__`) is
    a race of its own, outside the migrations."""
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    conn.close()
    start = time.time() + 1.5
    script = (
        "import sys, time\n"
        "from crashsift.store import Store\n"
        f"while time.time() < {start}: time.sleep(0.001)\n"
        "Store(sys.argv[1]).close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(db)], stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
    conn.close()


# --- kill -9 ---------------------------------------------------------------------------------


def kill_corpus() -> tuple[list[str], dict[str, int]]:
    """The bundled corpus and copies of it that differ only in trailing blank lines (the parser
    ignores them, so a copy holds its original's reports): long enough to kill mid-way. With
    the number of reports each paste holds, by its SHA-256."""
    originals = list(dict.fromkeys(p.read_text(encoding="utf-8", errors="replace") for p in corpus_inputs()))
    counts = [len(parse_text(text)) for text in originals]
    texts = [text + "\n" * copy for copy in range(12) for text in originals]
    return texts, {sha(t): counts[i % len(originals)] for i, t in enumerate(texts)}


def pastes_in(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=1)
        try:
            return conn.execute("SELECT COUNT(*) FROM pastes").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created, or not migrated yet
        return 0


def test_kill_9_mid_ingest_leaves_a_consistent_store_and_the_rerun_completes_it(tmp_path):
    db = tmp_path / "killed.db"
    texts, expected = kill_corpus()
    files = write_all(tmp_path / "pastes", texts)
    proc = subprocess.Popen([*INGEST, "--db", str(db), *map(str, files)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while pastes_in(db) < len(texts) // 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    conn = check_consistent(db, expected)
    before = {d for (d,) in conn.execute("SELECT sha256 FROM pastes")}
    assert 0 < len(before) < len(texts), "killed before anything was stored or after everything was"
    assert conn.execute("SELECT COUNT(*) FROM arrivals").fetchone()[0] == len(before)
    conn.close()

    rerun = subprocess.run([*INGEST, "--db", str(db), *map(str, files)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"pastes: {len(texts) - len(before)} new, {len(before)} seen again;" in rerun.stdout
    conn = check_consistent(db, expected)
    seen = dict(conn.execute("SELECT sha256, times_seen FROM pastes").fetchall())
    assert seen == {d: 2 if d in before else 1 for d in expected}  # each paste stored exactly once
    conn.close()


# --- migrations and files that are not stores ------------------------------------------------


def test_an_empty_file_is_a_store_at_version_0_and_migrates(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    with Store(db) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        assert store.ingest(SECOND, "s").new


def test_a_file_that_is_not_sqlite_is_a_clean_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 50)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        Store(junk)
    assert junk.read_bytes().startswith(b"PK\x03\x04")
