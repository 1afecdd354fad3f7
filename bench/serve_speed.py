"""Pastes per second through the paste page (`crashsift serve`). A benchmark, not a test.

Run from the repository root with the project's venv (needs the test extras for httpx2)::

    .venv/bin/python bench/serve_speed.py            # the corpus 3 times, both ways
    .venv/bin/python bench/serve_speed.py --rounds 1 --clients 1 2 4

One "paste through the page" is what a person's browser does: POST /paste (the form, with its
CSRF token) and GET the result page it is sent to (summary, findings, similar crashes, bucket).
Every paste is new to the store: round r > 0 appends a line ``* copy r`` to each corpus paste
(`../shared/corpus` beside the repo, else the bundled `corpus/`), so nothing is a repeat.

Two ways, each on a fresh store in a temporary folder:

- in process: Starlette's TestClient calls the ASGI app directly (no sockets, one client) —
  the app's own cost: parsing, the Store's transaction, similar-crash lookup, rendering;
- real HTTP: `crashsift serve` started as a subprocess (uvicorn on 127.0.0.1, a free port),
  driven over HTTP by 1..N client threads at once, each with its own connection. The machine
  has 2 cores; parsing holds the GIL, so more clients mostly overlap waiting, not parsing.

Prints pastes/s, the median and 95th percentile time per paste, and MB/s of paste text.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(slots=True)
class Run:
    way: str
    clients: int
    seconds: float
    times: list[float]  # seconds per paste
    size: int  # bytes of paste text


def corpus() -> list[str]:
    folder = SHARED_CORPUS if SHARED_CORPUS.is_dir() else REPO / "corpus"
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.txt"))]


def pastes(rounds: int) -> list[str]:
    base = corpus()
    return [text if r == 0 else f"{text}\n* copy {r}\n" for r in range(rounds) for text in base]


def through_page(client: httpx.Client, text: str) -> None:
    """One paste as a browser sends it; raises unless the result page came back."""
    token = TOKEN.search(client.get("/").text).group(1)
    answer = client.post("/paste", data={"csrf": token, "text": text, "source": "bench"})
    if answer.status_code != 200 or ("/crash/" not in str(answer.url) and "/result" not in str(answer.url)):
        raise RuntimeError(f"paste failed: {answer.status_code} {answer.url}")


def timed(texts: list[str], clients: list[httpx.Client]) -> tuple[float, list[float]]:
    """Post `texts` through `clients`, each in its own thread taking the next paste."""
    times: list[float] = []
    queue = list(reversed(texts))
    lock = threading.Lock()

    def work(client: httpx.Client) -> None:
        while True:
            with lock:
                if not queue:
                    return
                text = queue.pop()
            start = time.perf_counter()
            through_page(client, text)
            with lock:
                times.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, times


def in_process(texts: list[str], folder: Path) -> Run:
    from starlette.testclient import TestClient

    from crashsift.serve import create_app

    with TestClient(create_app(folder / "inproc.db"), base_url="http://localhost") as client:
        through_page(client, "warm-up\n")  # imports, templates, grammars
        seconds, times = timed(texts, [client])
    return Run("in process (TestClient)", 1, seconds, times, _size(texts))


def real_http(texts: list[str], folder: Path, clients: int) -> Run:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crashsift",
            "serve",
            "--port",
            str(port),
            "--db",
            str(folder / f"http{clients}.db"),
        ],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(lambda: httpx.get(url + "/").status_code == 200)
        pool = [httpx.Client(base_url=url, follow_redirects=True, timeout=120) for _ in range(clients)]
        through_page(pool[0], "warm-up\n")
        seconds, times = timed(texts, pool)
        for c in pool:
            c.close()
    finally:
        server.terminate()
        server.wait(20)
    return Run("real HTTP (uvicorn subprocess)", clients, seconds, times, _size(texts))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(ready: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _size(texts: list[str]) -> int:
    return sum(len(t.encode("utf-8")) for t in texts)


def show(run: Run) -> None:
    ms = sorted(t * 1000 for t in run.times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(
        f"{run.way:32} clients {run.clients}: {len(ms) / run.seconds:6.1f} pastes/s"
        f"  ({len(ms)} in {run.seconds:.1f} s; per paste median {statistics.median(ms):.0f} ms,"
        f" p95 {p95:.0f} ms; {run.size / 1e6 / run.seconds:.2f} MB/s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="times through the corpus (each round new pastes)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4], help="client threads for real HTTP")
    ap.add_argument("--no-http", action="store_true", help="only the in-process run")
    args = ap.parse_args()
    texts = pastes(args.rounds)
    print(f"{len(texts)} pastes, {_size(texts) / 1e6:.1f} MB; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        show(in_process(texts, Path(tmp)))
        for n in [] if args.no_http else args.clients:
            show(real_http(texts, Path(tmp), n))


if __name__ == "__main__":
    main()
