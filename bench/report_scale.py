"""The pattern report at scale: render time and file size for 100, 1,000 and 10,000 reports, and
how fast Chromium shows the page (first contentful paint, load event) for each.

Reports are the corpus's own, repeated under new file names so each is a distinct report (their
ids differ; their stacks repeat, so buckets grow as they would with many similar crashes).
Run from the repository root: `.venv/bin/python bench/report_scale.py [--sizes 100 1000 10000]`.
The browser part needs Debian's chromium and the playwright package (skipped otherwise).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import tempfile
import time
from pathlib import Path

from stages import ROOT

from crashsift.correlate.engine import correlate
from crashsift.htmlreport import render_html
from crashsift.model import Report
from crashsift.pipeline import parse_file

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def corpus_reports() -> list[Report]:
    shared = ROOT.parent / "shared" / "corpus"
    folder = shared if shared.is_dir() else ROOT / "corpus"
    return [r for p in sorted(folder.rglob("*.txt")) for r in parse_file(p)]


def reports_of(base: list[Report], n: int) -> list[Report]:
    out = []
    for i in range(n):
        rep = copy.copy(base[i % len(base)])
        rep.source = copy.copy(rep.source)
        rep.source.path = f"set{i // len(base)}/{Path(rep.source.path or 'stdin').name}"
        out.append(rep)
    return out


def browser_times(pages: list[Path]) -> dict[Path, tuple[float, float]]:
    """First contentful paint and load event (ms) of each page, or nothing without a browser."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if chromium is None:
        return {}
    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
        for path in pages:
            page = browser.new_page()
            page.goto(path.as_uri(), wait_until="load", timeout=600_000)
            fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1")
            load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            out[path] = (fcp, load)
            page.close()
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    sizes = ap.parse_args().sizes
    base = corpus_reports()
    folder = Path(tempfile.mkdtemp(prefix="crashsift-report-"))
    rows = []
    for n in sizes:
        reports = reports_of(base, n)
        started = time.perf_counter()
        result = correlate(reports)
        correlated = time.perf_counter()
        html = render_html(reports, result, f"{n} reports")
        rendered = time.perf_counter()
        path = folder / f"report-{n}.html"
        path.write_text(html, encoding="utf-8")
        rows.append((n, correlated - started, rendered - correlated, len(html.encode()) / 1e6, path))
    times = browser_times([row[-1] for row in rows])
    print(
        f"{'reports':>8} {'correlate s':>12} {'render s':>9} {'MB':>7} {'first paint ms':>15} {'load ms':>9}"
    )
    for n, corr, render, mb, path in rows:
        fcp, load = times.get(path, (float("nan"), float("nan")))
        print(f"{n:>8} {corr:>12.2f} {render:>9.2f} {mb:>7.2f} {fcp:>15.0f} {load:>9.0f}")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
