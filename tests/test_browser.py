"""The pattern report in a real browser: headless Chromium (Debian's package, installed by
`.ci/run`) driven by Playwright. Skipped where either is missing; CI has both.

Each test opens a report from disk, fails on any console error or page error, and saves a
screenshot under `tests/screenshots/` (ignored by git) for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS

from crashsift.correlate.engine import correlate
from crashsift.htmlreport import render_html
from crashsift.pipeline import parse_file, parse_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs it)")
SHOTS = Path(__file__).parent / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_report(browser, html: str, tmp_path: Path, name: str):
    """Load the page from disk; return it and the console errors and page errors it raised."""
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}") or dialog.dismiss())
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
    return page, problems


def test_seed_pair_report_shows_its_sections_and_runs_clean(browser, tmp_path):
    reports = [
        r
        for n in ("fltmgr-0x3b-session.txt", "fltmgr-second-crash-k.txt")
        for r in parse_file(CORPUS / "seed" / n)
    ]
    page, problems = open_report(browser, render_html(reports, correlate(reports)), tmp_path, "seed-pair")
    assert problems == []
    for section in ("#overview", "#buckets", "#paths", "#shared", "#reports"):
        assert page.locator(section).is_visible()
    assert page.locator("#shown").inner_text() == "2 of 2 reports"  # the script ran
    page.fill("#search", "TreeUnlinkNoBalance")
    assert page.locator("#shown").inner_text() == "1 of 2 reports"
    page.close()


def test_corpus_report_pages_and_filters(browser, tmp_path):
    reports = [r for p in sorted(CORPUS.rglob("*.txt")) for r in parse_file(p)]
    page, problems = open_report(browser, render_html(reports, correlate(reports)), tmp_path, "corpus")
    assert problems == []
    total = len(reports)
    assert page.locator("#shown").inner_text() == f"{total} of {total} reports"
    assert page.locator("article.report:not(.hidden)").count() == min(50, total)
    page.check("#with-findings")
    with_findings = sum(1 for r in reports if r.findings)
    assert page.locator("#shown").inner_text() == f"{with_findings} of {total} reports"
    page.close()


def test_hostile_paste_runs_no_script(browser, tmp_path):
    text = (
        "0: kd> k\nChild-SP          RetAddr           Call Site\n"
        "fffff880`06678210 fffff800`02a7cfee evil!<script>alert(1)</script>+0x40\n"
        'fffff880`06678370 fffff800`02a624ae "><img src=x onerror=alert(2)>!f+0x16e\n'
        "FAILURE_BUCKET_ID:  <script>window.pwned=1</script>\n"
        "PROCESS_NAME:  <svg onload=alert(3)>\n"
    )
    reports = parse_text(text, "hostile.txt")
    page, problems = open_report(browser, render_html(reports, correlate(reports)), tmp_path, "hostile")
    assert not [p for p in problems if p.startswith("dialog")]
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("img").count() == 0
    page.close()
