"""The paste page in a real browser: uvicorn on a free loopback port with a fresh store, driven
by headless Chromium through Playwright (as in tests/test_browser.py; skipped where either is
missing). A person's path: paste the seed session, read its result page, paste the second
crash, find the first among its similar crashes with the reason. No console errors (a CSP
violation would be one); screenshots under tests/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS
from test_browser import CHROMIUM, FLAGS, SHOTS, sync_api
from test_serve import HOSTILE, SECOND, SESSION, serving

from crashsift.serve import create_app

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs it)")


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path):
    with serving(create_app(tmp_path / "crashes.db")) as url:
        yield url


@pytest.fixture
def page(chromium):
    """A page that records console errors, page errors and dialogs in `page.problems`."""
    tab = chromium.new_page(viewport={"width": 1280, "height": 900})
    tab.problems = []
    tab.on("console", lambda msg: tab.problems.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda err: tab.problems.append(str(err)))
    tab.on("dialog", lambda dialog: tab.problems.append(f"dialog: {dialog.message}") or dialog.dismiss())
    yield tab
    tab.close()


def submit_paste(page, site: str, text: str, source: str) -> None:
    page.goto(site + "/")
    page.fill("#source", source)
    page.fill("#text", text)
    page.click("#submit-paste")
    page.wait_for_load_state("load")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_paste_the_seed_pair_and_see_the_first_among_the_seconds_similar_crashes(page, site):
    submit_paste(page, site, SESSION, "seed session")
    assert page.url == site + "/crash/p1-1"
    assert "0x3b SYSTEM_SERVICE_EXCEPTION" in page.locator("#summary").inner_text()
    findings = page.locator("#findings .finding")
    assert findings.count() >= 2 and findings.first.is_visible()
    assert "fault-decode" in page.locator("#findings").inner_text()
    shoot(page, "serve-seed-session")

    submit_paste(page, site, SECOND, "second crash")
    assert page.url == site + "/crash/p2-1"
    similar = page.locator("#similar")
    assert similar.locator('a[href="/crash/p1-1"]').is_visible()
    assert "same area: both run fltmgr!TreeUnlinkMulti (frame 3 here, 1 there) near the crash" in (
        similar.inner_text()
    )
    shoot(page, "serve-second-crash")

    similar.locator('a[href="/crash/p1-1"]').click()
    page.wait_for_load_state("load")
    assert page.url == site + "/crash/p1-1"
    page.locator("#bucket a").click()
    page.wait_for_load_state("load")
    assert "/bucket/B-" in page.url and page.locator("svg.chart rect").count() == 1
    shoot(page, "serve-bucket")
    assert page.problems == []


def test_upload_several_files_and_the_verbatim_paste(page, site, tmp_path):
    files = [CORPUS / "seed" / "fltmgr-0x3b-session.txt", CORPUS / "seed" / "case-study-article.txt"]
    page.goto(site + "/")
    page.set_input_files("#files", [str(p) for p in files])
    page.click("#submit-upload")
    page.wait_for_load_state("load")
    assert page.url == site + "/result?paste=1&paste=2"
    assert page.locator("section.report").count() == 2
    assert page.locator('a[href^="/crash/"]').count() == 3  # the article holds two crashes
    page.locator('a[href="/paste/1"]').click()
    page.wait_for_load_state("load")
    assert page.locator("body").inner_text().startswith(Path(files[0]).read_text(encoding="utf-8")[:40])
    assert page.problems == []


def test_a_hostile_paste_runs_nothing(page, site):
    submit_paste(page, site, HOSTILE, '"><img src=x onerror=alert(4)>')
    assert page.url == site + "/crash/p1-1"
    assert "evil!<script>alert(1)</script>+0x40" in page.locator("#summary").inner_text()
    assert page.locator("img").count() == 0 and page.locator("script").count() == 0
    assert not [p for p in page.problems if p.startswith("dialog")]
    assert page.evaluate("window.pwned === undefined")
    shoot(page, "serve-hostile")
