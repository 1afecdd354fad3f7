"""The pattern report of the whole store (`GET /report`), cached until the store changes.

The report is rebuilt the honest way: every stored paste that holds a crash is parsed again
with `crashsift.pipeline.parse_text`, the reports are correlated and rendered with
`crashsift.htmlreport.render_html` — the same page `crashsift report` writes for those files.
Its buckets are therefore the batch correlation's, which can group a little differently from the
store's incremental buckets. Parsing everything again is slow for a large store, so the page is
kept until `lookup.marker` says reports were added or rebuilt; concurrent requests wait for
one rebuild instead of each doing their own.
"""

from __future__ import annotations

import threading
from functools import cache

from crashsift.correlate.engine import correlate
from crashsift.htmlreport import page_script, render_html
from crashsift.pipeline import parse_text
from crashsift.serve import lookup
from crashsift.store import Store

TITLE = "crashsift store report"


class StoreReport:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._html = ""

    def html(self, store: Store) -> str:
        """The report page, rebuilt when the store's reports changed since the last one."""
        with self._lock:
            key = lookup.marker(store.db)  # read first: a paste arriving meanwhile only rebuilds again
            if key != self._key:
                self._html = _render(store)
                self._key = key
            return self._html


def _render(store: Store) -> str:
    reports = [
        report
        for paste_id, source in lookup.pastes_with_reports(store.db)
        for report in parse_text(store.paste_text(paste_id) or "", source)
    ]
    return render_html(reports, correlate(reports), TITLE)


@cache
def csp() -> str:
    """The report page's policy: its one inline script (by hash) and nothing else."""
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {page_script()[1]}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
