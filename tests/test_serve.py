"""The paste page (`crashsift serve`) through Starlette's test client: pages, JSON API, safety
(size limits, CSRF, cross-site posts, hostile pastes, ids that are not ids, Host names) and many
submissions at once. One test runs uvicorn for real, to see a body refused before it is read."""

from __future__ import annotations

import builtins
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import CORPUS

from crashsift.pipeline import parse_text
from crashsift.serve import create_app
from crashsift.serve.safety import CSP, LOOPBACK, Csrf, body_limit, hosts_for
from crashsift.store import Store

TestClient = pytest.importorskip("starlette.testclient").TestClient

SESSION = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
SECOND = (CORPUS / "seed" / "fltmgr-second-crash-k.txt").read_text(encoding="utf-8")
BASE = "http://localhost"
API = {"x-crashsift": "1"}
HOSTILE = (
    "0: kd> k\nChild-SP          RetAddr           Call Site\n"
    "fffff880`06678210 fffff800`02a7cfee evil!<script>alert(1)</script>+0x40\n"
    'fffff880`06678370 fffff800`02a624ae "><img src=x onerror=alert(2)>!f+0x16e\n'
    "FAILURE_BUCKET_ID:  <script>window.pwned=1</script>\n"
    "PROCESS_NAME:  javascript:alert(3)\n"
)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "crashes.db"


@pytest.fixture
def client(db) -> Iterator[TestClient]:
    with TestClient(create_app(db), base_url=BASE) as c:
        yield c


def token(client: TestClient) -> str:
    """The form's CSRF token (GET / also sets the matching cookie)."""
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def paste(client: TestClient, text: str, source: str = "test", **kw):
    return client.post("/paste", data={"csrf": token(client), "text": text, "source": source}, **kw)


def text_of(html: str) -> str:
    """The page's visible text, tags dropped and spaces folded (entities left as they are)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def counts(db: Path) -> dict[str, int]:
    with Store(db) as store:
        return store.counts()


# --- pages -----------------------------------------------------------------------------------


def test_the_paste_page_has_both_forms_a_token_and_the_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'action="/paste"' in page.text and 'action="/upload"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and "<script" not in page.text
    assert page.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP and "form-action 'self'" in CSP and "frame-ancestors 'none'" in CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    cookie = page.headers["set-cookie"]
    assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
    assert cookie.split(";")[0].split("=", 1)[1] in page.text  # the hidden field carries the cookie's token


def test_a_pasted_session_shows_its_summary_and_findings(client, db):
    posted = paste(client, SESSION, "forum post 1", follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/crash/p1-1"
    page = client.get("/crash/p1-1")
    shown = text_of(page.text)
    assert "0x3b SYSTEM_SERVICE_EXCEPTION" in shown and "0xc0000005 STATUS_ACCESS_VIOLATION" in shown
    assert "fltmgr!TreeUnlinkMulti" in shown and "kernel / x64" in shown and "fltmgr.sys" in shown
    assert "Stack top" in shown and "fltmgr!TreeUnlinkMulti+0x51" in shown
    assert "fault-decode" in shown and "corruption-pattern" in shown
    assert "mov rax,qword ptr [rsi+20h]" in shown  # a finding's evidence line
    assert "forum post 1" in shown and "seen 1 time" in shown
    assert "No similar crash in the store yet" in shown
    assert 'href="/paste/1"' in page.text and 'href="/bucket/B-' in page.text
    verbatim = client.get("/paste/1")
    assert verbatim.text == SESSION and verbatim.headers["content-type"] == "text/plain; charset=utf-8"
    assert "sandbox" in verbatim.headers["content-security-policy"]
    assert counts(db) == {"pastes": 1, "arrivals": 1, "reports": 1, "buckets": 1}


def test_the_second_seed_crash_lists_the_first_as_similar_with_the_reason(client):
    paste(client, SESSION, "seed session")
    page = paste(client, SECOND, "second crash")
    assert page.url.path == "/crash/p2-1"
    similar = page.text[page.text.index('id="similar"') :]
    assert 'href="/crash/p1-1"' in similar
    assert (
        "same area: both run fltmgr!TreeUnlinkMulti (frame 3 here, 1 there) near the crash; similarity 0.09"
        in text_of(similar)
    )
    found = client.get("/api/crash/p2-1/similar").json()["similar"]
    assert [s["report_id"] for s in found] == ["p1-1"]
    assert found[0]["reasons"][0].startswith("same area: both run fltmgr!TreeUnlinkMulti")


def test_the_same_paste_twice_is_one_crash_seen_twice(client, db):
    paste(client, SESSION)
    again = paste(client, SESSION, "another thread")
    assert again.url.path == "/crash/p1-1" and "seen 2 times" in text_of(again.text)
    assert counts(db) == {"pastes": 1, "arrivals": 2, "reports": 1, "buckets": 1}


def test_a_paste_with_two_crashes_lists_them_and_one_without_says_so(client, db):
    both = paste(client, SESSION + "\n" + SECOND)
    assert both.url.path == "/result" and both.url.query == b"paste=1"
    assert 'href="/crash/p1-1"' in both.text and 'href="/crash/p1-2"' in both.text
    nothing = paste(client, "> \n>\n", "a quote")
    assert nothing.url.query == b"paste=2" and "No crash found in this paste" in nothing.text
    assert counts(db)["pastes"] == 2  # stored all the same
    assert client.post("/paste", data={"csrf": token(client), "text": ""}).status_code == 400


def test_uploaded_files_are_one_paste_each(client, db):
    files = [
        ("files", ("session.txt", SESSION.encode())),
        ("files", ("second.txt", SECOND.encode("utf-16"))),  # UTF-16 with a BOM
    ]
    page = client.post("/upload", data={"csrf": token(client), "source": "ticket 9"}, files=files)
    assert page.url.path == "/result" and page.url.query == b"paste=1&paste=2"
    assert "ticket 9: session.txt" in page.text and "ticket 9: second.txt" in page.text
    assert "fltmgr!TreeUnlinkNoBalance" in client.get("/api/crash/p2-1").json()["signature"]
    one = client.post(
        "/upload", data={"csrf": token(client)}, files=[("files", ("one.txt", b"\n" + SECOND.encode()))]
    )
    assert one.url.path == "/crash/p3-1" and "one.txt" in one.text
    assert counts(db)["pastes"] == 3


def test_a_bucket_page_shows_its_trend_and_members(client, db):
    with Store(db) as store:
        store.ingest(SESSION, "a", received="2026-03-02T10:00:00+00:00")
        store.ingest(
            SESSION.replace("CarboniteServi", "OtherProcess"), "b", received="2026-03-17T09:00:00+00:00"
        )
        store.ingest(SECOND, "c", received="2026-03-18T09:00:00+00:00")
        [big, small] = store.buckets()
    page = client.get(f"/bucket/{big.id}")
    shown = text_of(page.text)
    assert "fltmgr!TreeUnlinkMulti" in shown and "2 crashes" in shown
    assert "first seen 2026-03-02T10:00:00+00:00" in shown and "last seen 2026-03-17T09:00:00+00:00" in shown
    chart = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert chart.count("<rect") == 3  # weeks 10, 11 (none) and 12
    assert "2026-W10: 1" in chart and "2026-W11: 0" in chart and "2026-W12: 1" in chart
    assert 'href="/crash/p1-1"' in page.text and 'href="/crash/p2-1"' in page.text
    listing = client.get("/buckets").text
    assert listing.index(big.id) < listing.index(small.id)  # largest first
    data = client.get(f"/api/bucket/{big.id}").json()
    assert data["members"] == ["p1-1", "p2-1"] and data["size"] == 2
    assert data["weekly"] == [{"week": "2026-W10", "reports": 1}, {"week": "2026-W12", "reports": 1}]
    assert [b["id"] for b in client.get("/api/buckets").json()["buckets"]] == [big.id, small.id]


def test_the_store_report_is_the_pattern_report_rebuilt_only_when_the_store_changes(client, monkeypatch):
    from crashsift.serve import storereport

    paste(client, SESSION)
    paste(client, SECOND)
    parsed = []
    monkeypatch.setattr(storereport, "parse_text", lambda *a: parsed.append(a) or parse_text(*a))
    page = client.get("/report")
    assert page.status_code == 200 and "2 reports" in page.text
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert client.get("/report").text == page.text and len(parsed) == 2  # cached
    paste(client, SESSION.replace("CarboniteServi", "OtherProcess"))
    assert "3 reports" in client.get("/report").text and len(parsed) == 5


# --- JSON API --------------------------------------------------------------------------------


def test_the_api_takes_a_paste_and_answers_with_its_crashes_similar_and_bucket(client):
    first = client.post("/api/paste", json={"text": SESSION, "source": "seed"}, headers=API)
    assert first.status_code == 201
    assert first.json()["report_ids"] == ["p1-1"] and first.json()["page"] == "/crash/p1-1"
    second = client.post(
        "/api/paste?source=raw", content=SECOND, headers={**API, "content-type": "text/plain"}
    )
    [crash] = second.json()["crashes"]
    assert crash["id"] == "p2-1" and crash["bucket"]["size"] == 1
    assert crash["similar"][0]["report_id"] == "p1-1" and crash["similar"][0]["score"] == 0.09
    again = client.post("/api/paste", json={"text": SESSION}, headers=API)
    assert again.status_code == 200 and again.json()["new"] is False and again.json()["times_seen"] == 2
    report = client.get("/api/crash/p1-1").json()
    assert report["bugcheck"] == "0x3b" and report["times_seen"] == 2
    assert {f["kind"] for f in report["report"]["findings"]} >= {"fault-decode"}
    assert client.get("/api/paste/2").json()["source"] == "raw"
    assert client.get("/api/crash/p1-1/similar?limit=0").status_code == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # no custom header: what a cross-site form or simple fetch sends
        ({"content-type": "application/x-www-form-urlencoded", **API}, 415),
        ({"content-type": "multipart/form-data; boundary=x", **API}, 415),
        ({"content-type": "application/json", **API, "origin": "http://evil.example"}, 403),
    ],
)
def test_the_api_refuses_what_a_cross_site_page_can_send(client, db, headers, status):
    refused = client.post("/api/paste", content=b'{"text": "x"}', headers=headers)
    assert refused.status_code == status and "error" in refused.json()
    assert counts(db)["pastes"] == 0


def test_the_api_refuses_a_body_that_is_not_a_paste(client):
    for body in (b"{", b"[1]", b'{"text": 3}'):
        answer = client.post("/api/paste", content=body, headers={**API, "content-type": "application/json"})
        assert answer.status_code == 400


# --- safety ----------------------------------------------------------------------------------


def test_too_large_a_paste_is_refused_with_413_and_nothing_stored(db):
    with TestClient(create_app(db, max_bytes=1000), base_url=BASE) as client:
        page = paste(client, "x" * 1001)
        assert page.status_code == 413 and "the limit is 1,000 bytes" in page.text
        assert "<h1>413" in page.text  # an error page, not a traceback
        api = client.post("/api/paste", json={"text": "é" * 501}, headers=API)  # 1,002 UTF-8 bytes
        assert api.status_code == 413 and "the limit is 1,000 bytes" in api.json()["error"]
        big = [("files", ("big.txt", b"x" * 1001)), ("files", ("small.txt", b"x"))]
        assert client.post("/upload", data={"csrf": token(client)}, files=big).status_code == 413
        body = b"x" * (body_limit(1000) + 1)  # over the body cap: refused by Content-Length
        api = client.post("/api/paste", content=body, headers={**API, "content-type": "text/plain"})
        assert api.status_code == 413 and "larger than this server takes" in api.json()["error"]
        streamed = client.post(
            "/api/paste", content=iter([b"x" * 8192] * 10), headers={**API, "content-type": "text/plain"}
        )
        assert streamed.status_code == 413
    assert counts(db)["pastes"] == 0


def test_form_posts_without_the_token_or_from_another_site_are_refused(client, db):
    good = token(client)
    other = Csrf()._mint()  # well formed, signed by another server
    refusals = [
        client.post("/paste", data={"text": SESSION}),
        client.post("/paste", data={"text": SESSION, "csrf": "nonsense"}),
        client.post("/paste", data={"text": SESSION, "csrf": other}),
        client.post(
            "/paste", data={"text": SESSION, "csrf": good}, headers={"origin": "http://evil.example"}
        ),
        client.post(
            "/paste", data={"text": SESSION, "csrf": good}, headers={"origin": "http://localhost:8001"}
        ),
        client.post("/paste", data={"text": SESSION, "csrf": good}, headers={"origin": "null"}),
        client.post(
            "/paste", data={"text": SESSION, "csrf": good}, headers={"referer": "http://evil.example/x"}
        ),
        client.post("/upload", data={"csrf": other}, files=[("files", ("a.txt", SESSION.encode()))]),
    ]
    assert [r.status_code for r in refusals] == [403] * len(refusals)
    assert "reload the paste page" in refusals[0].text and "cross-site request refused" in refusals[3].text
    client.cookies.clear()  # the hidden field alone, without its cookie, is not enough
    assert client.post("/paste", data={"text": SESSION, "csrf": good}).status_code == 403
    client.cookies.set("crashsift_csrf", other)  # a cookie planted by another site on this host
    assert client.post("/paste", data={"text": SESSION, "csrf": other}).status_code == 403
    assert counts(db)["pastes"] == 0
    ours = paste(client, SESSION, headers={"origin": BASE, "referer": BASE + "/"})
    assert ours.status_code == 200 and counts(db)["pastes"] == 1


def test_a_hostile_paste_renders_as_text(client):
    page = paste(client, HOSTILE, '"><img src=x onerror=alert(4)> javascript:alert(5)')
    assert page.url.path == "/crash/p1-1"
    html = page.text.lower()
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert 'href="javascript:' not in html
    assert "evil!&lt;script&gt;alert(1)&lt;/script&gt;+0x40" in page.text  # the stack top
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;!f+0x16e" in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(4)&gt; javascript:alert(5)" in page.text  # the label
    hrefs = re.findall(r'href="([^"]*)"', page.text)
    assert all(h.startswith("/") or h.startswith("data:") for h in hrefs)
    files = [("files", ("<script>alert(6)</script>.txt", HOSTILE.encode() + b"\n"))]
    listed = client.post("/upload", data={"csrf": token(client), "source": "<b>x</b>"}, files=files)
    for html in (listed.text, client.get("/buckets").text, client.get("/bucket/" + _bucket(client)).text):
        assert "<script" not in html.lower() and "<b>x" not in html.lower()
    assert "&lt;b&gt;x&lt;/b&gt;: &lt;script&gt;alert(6)&lt;/script&gt;.txt" in listed.text
    verbatim = client.get("/paste/1")
    assert verbatim.text == HOSTILE
    assert verbatim.headers["content-type"].startswith("text/plain")
    assert verbatim.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/crash/p1-1").headers["content-type"] == "application/json"


def _bucket(client: TestClient) -> str:
    return client.get("/api/crash/p1-1").json()["bucket"]


BAD_IDS = [
    "/crash/..%2F..%2Fetc%2Fpasswd",
    "/crash/%2Fetc%2Fpasswd",
    "/crash/p1-1.json",
    "/crash/p0-1",
    "/crash/p1-1%00",
    "/crash/P1-1",
    "/crash/p99999999999999999999-1",
    "/paste/0",
    "/paste/-1",
    "/paste/1e3",
    "/paste/99999999999999999999999",
    "/paste/..%2Fcrashes.db",
    "/bucket/..%2Fsecret.txt",
    "/bucket/B-zzzzzzzzzz",
    "/bucket/B-0123456789",
    "/api/crash/..%2F..%2Fsecret.txt",
    "/api/crash/p1-9/similar",
    "/api/bucket/secret.txt",
    "/api/paste/abc",
    "/result?paste=..%2Fsecret.txt",
    "/result",
]


def test_ids_that_are_not_ids_are_404_and_never_open_a_file(client, tmp_path, monkeypatch):
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    paste(client, SESSION)
    client.get("/crash/p9-9")
    client.get("/api/crash/p9-9")  # templates loaded: from here on nothing needs a file
    opened: list[object] = []

    def spy(real):
        return lambda *a, **k: opened.append(a[0]) or real(*a, **k)

    monkeypatch.setattr(builtins, "open", spy(builtins.open))
    monkeypatch.setattr(io, "open", spy(io.open))
    monkeypatch.setattr(os, "open", spy(os.open))
    for path in BAD_IDS:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "SECRET" not in answer.text and "root:" not in answer.text
    assert opened == []


def test_a_host_name_other_than_loopback_is_refused(client):
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding
    assert client.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8000"}).status_code == 200
    assert hosts_for("127.0.0.1") == hosts_for("localhost") == hosts_for("::1") == LOOPBACK
    assert hosts_for("192.168.1.5") == [*LOOPBACK, "192.168.1.5"] and hosts_for("fd00::5")[-1] == "[fd00::5]"
    assert hosts_for("0.0.0.0") == ["*"]  # the command warns that other machines can reach it


def test_many_submissions_at_once_lose_nothing_and_duplicate_nothing(db):
    texts = sorted(CORPUS.glob("*/*.txt"))[:10]
    pastes = [p.read_text(encoding="utf-8", errors="replace") for p in texts]
    posts = [pastes[i % len(pastes)] for i in range(40)]  # each text four times
    barrier = threading.Barrier(len(posts))
    answers: list[dict] = [{}] * len(posts)
    with TestClient(create_app(db), base_url=BASE) as client:
        form_token = token(client)

        def submit(i: int) -> None:
            barrier.wait()
            if i % 2:
                r = client.post("/api/paste", json={"text": posts[i], "source": f"t{i}"}, headers=API)
            else:
                r = client.post("/paste", data={"csrf": form_token, "text": posts[i], "source": f"t{i}"})
            answers[i] = {"status": r.status_code, **(r.json() if i % 2 and r.status_code < 300 else {})}

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(posts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [a.get("status") for a in answers]
        assert all(s in (200, 201) for s in statuses), statuses
        with Store(db) as store:
            assert store.counts()["pastes"] == len(pastes) and store.counts()["arrivals"] == len(posts)
            assert store.counts()["reports"] == sum(len(parse_text(t)) for t in pastes)
            info = [client.get(f"/api/paste/{i}").json() for i in range(1, len(pastes) + 1)]
            assert sorted(p["times_seen"] for p in info) == [4] * len(pastes)
            ids = [r.id for r in store.reports()]
            assert len(ids) == len(set(ids))
        by_text: dict[str, set[int]] = {}
        for i, a in enumerate(answers):
            if "paste_id" in a:
                by_text.setdefault(posts[i], set()).add(a["paste_id"])
        assert all(len(ids) == 1 for ids in by_text.values())  # the same text, the same paste


# --- the body cap on a real server -------------------------------------------------------------


@contextmanager
def serving(app) -> Iterator[str]:
    """Run `app` on uvicorn on a free loopback port in a background thread; yield its URL."""
    uvicorn = pytest.importorskip("uvicorn")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def _status(conn: socket.socket) -> bytes:
    head = b""
    while b"\r\n" not in head:
        part = conn.recv(4096)
        if not part:
            break
        head += part
    return head.split(b"\r\n", 1)[0]


def test_a_real_server_refuses_an_oversized_body_before_reading_it(db):
    limit = body_limit(1000)
    start = b"POST /api/paste HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nX-Crashsift: 1\r\n"
    with serving(create_app(db, max_bytes=1000)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(start + b"Content-Length: 100000000\r\n\r\n")  # and not one byte of it
            assert _status(conn) == b"HTTP/1.1 413 Request Entity Too Large"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(start + b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(limit // 4096 + 1):  # past the cap, and the body never finished
                conn.sendall(b"1000\r\n" + b"x" * 4096 + b"\r\n")
            assert _status(conn) == b"HTTP/1.1 413 Request Entity Too Large"
    assert counts(db)["pastes"] == 0


# --- the command -----------------------------------------------------------------------------


def test_crashsift_serve_binds_loopback_prints_its_url_and_serves(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "crashsift",
        "serve",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "c.db"),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            line = server.stdout.readline()
            assert line.startswith(f"crashsift: serving http://127.0.0.1:{port}/ (store {tmp_path / 'c.db'})")
            assert _get_root(port) == b"HTTP/1.1 200 OK"
        finally:
            server.terminate()


def _get_root(port: int) -> bytes:
    """The status line of GET / once the server listens (it starts after printing its URL)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return _status(conn)
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def test_crashsift_serve_refuses_a_store_it_cannot_open(tmp_path):
    from typer.testing import CliRunner

    from crashsift.cli import app

    (tmp_path / "not-a-store.db").write_bytes(b"this is not SQLite" * 100)
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "not-a-store.db")])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"crashsift: {tmp_path / 'not-a-store.db'}:")
    assert len(result.output.strip().splitlines()) == 1
