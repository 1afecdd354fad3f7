"""Store connections for the app's worker threads: each request borrows a `Store` (its own
SQLite connection) from a pool and gives it back.

Why not one shared connection behind a lock: a connection holds one transaction at a time, so
requests sharing it would queue for the whole of `Store.ingest`, parsing included. With a
connection each, SQLite serialises the writers itself (`BEGIN IMMEDIATE` with a busy timeout:
idempotency and atomicity stay the Store's), while parsing — done before the write
transaction — and reads (WAL snapshots) run side by side. The pool holds at most as many
connections as requests ever ran at once (bounded by uvicorn's threadpool, 40 threads).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crashsift.store import Store


class StorePool:
    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._idle = [Store(path, max_bytes)]  # the first one creates or migrates the store now

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A Store for this request alone; back to the pool afterwards (closed instead if it
        was left inside a transaction, which only a failure in SQLite itself can do)."""
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            store = Store(self.path, self.max_bytes)
        try:
            yield store
        finally:
            if store.db.in_transaction:
                store.close()
            else:
                with self._lock:
                    self._idle.append(store)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()
