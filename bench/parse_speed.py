"""How fast crashsift reads pastes: throughput, cold start, scaling. A benchmark, not a test.

Run from the repo root with the project's venv::

    .venv/bin/python bench/parse_speed.py            # full run (~50 MB of text)
    .venv/bin/python bench/parse_speed.py --quick    # a small run, a few seconds

It prints figures next to their targets; it never fails on a missed target (exit 0), only when
it cannot run at all (no corpus, no `crashsift.pipeline`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
REPO_CORPUS = REPO / "corpus"
SEED_NAME = "fltmgr-0x3b-session.txt"

MB = 1_000_000
TARGET_MB_S = 10.0  # per core; this script parses in one process, so on one core
TARGET_COLD_S = 0.3

# Stage functions of crashsift.pipeline that `parse_text` looks up by module global name at call
# time. Those present are wrapped with a timer for the per-stage split; absent ones are skipped.
STAGE_NAMES: list[tuple[str, str]] = [
    ("repair", "repair"),
    ("segment", "segment"),
    ("parse blocks", "_parse_segment"),
    ("group", "_group"),
]


@dataclass(frozen=True, slots=True)
class Paste:
    path: str
    text: str
    size: int  # UTF-8 bytes


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    size: int
    files: int
    reports: int
    errors: int
    first_error: str | None


# --- corpus ----------------------------------------------------------------------------


def corpus_dir() -> Path:
    """../shared/corpus beside the repo, else the repo's own corpus/ folder."""
    for folder in (SHARED_CORPUS, REPO_CORPUS):
        if folder.is_dir() and any(folder.rglob("*.txt")):
            return folder
    sys.exit(f"parse_speed: no *.txt under {SHARED_CORPUS} or {REPO_CORPUS}")


def load_corpus(folder: Path) -> list[Paste]:
    pastes = []
    for path in sorted(folder.rglob("*.txt")):
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        pastes.append(Paste(str(path), text, len(data)))
    return pastes


def repeat_to(pastes: Sequence[Paste], min_bytes: int) -> list[Paste]:
    """The corpus repeated (whole copies, same string objects) until it holds >= min_bytes."""
    one = sum(p.size for p in pastes)
    copies = max(1, -(-min_bytes // one))
    return list(pastes) * copies


def seed_paste(folder: Path) -> Path:
    for candidate in (folder / "seed" / SEED_NAME, *folder.rglob(SEED_NAME)):
        if candidate.is_file():
            return candidate
    return max(folder.rglob("*.txt"), key=lambda p: p.stat().st_size)


# --- measuring -------------------------------------------------------------------------


def parse_all(parse_text: Callable[..., list[Any]], pastes: Sequence[Paste]) -> Run:
    """Parse every paste in this process; reports are counted, then dropped."""
    reports = errors = 0
    first_error = None
    start = time.perf_counter()
    for paste in pastes:
        try:
            reports += len(parse_text(paste.text, paste.path))
        except Exception as err:  # a benchmark goes on; the count is printed
            errors += 1
            if first_error is None:
                first_error = f"{paste.path}: {type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    return Run(seconds, sum(p.size for p in pastes), len(pastes), reports, errors, first_error)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak * 1024 / MB


@contextmanager
def stage_timers(pipeline: ModuleType) -> Iterator[dict[str, float]]:
    """Wrap the stage functions `pipeline` has with timers; restore them afterwards."""
    totals: dict[str, float] = {}
    saved: dict[str, Any] = {}

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + time.perf_counter() - start

        return wrapper

    for label, name in STAGE_NAMES:
        fn = getattr(pipeline, name, None)
        if callable(fn):
            saved[name] = fn
            totals[label] = 0.0
            setattr(pipeline, name, timed(label, fn))
    facts = getattr(pipeline, "facts", None)
    fill = getattr(facts, "fill", None)
    if isinstance(facts, ModuleType) and callable(fill):
        totals["facts"] = 0.0
        facts.fill = timed("facts", fill)  # type: ignore[attr-defined]
    try:
        yield totals
    finally:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)
        if isinstance(facts, ModuleType) and callable(fill):
            facts.fill = fill  # type: ignore[attr-defined]


def cold_start(seed: Path, runs: int) -> tuple[list[str], list[float], str | None]:
    """Wall time of `crashsift parse SEED` in a fresh process, `runs` times."""
    exe = Path(sys.executable).parent / "crashsift"
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "crashsift"]
    cmd += ["parse", str(seed)]
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
            return cmd, times, f"exit {done.returncode}: {' '.join(tail)}"
    return cmd, times, None


# --- report ----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="How fast crashsift reads pastes.")
    ap.add_argument("--quick", action="store_true", help="small run: ~3 MB, 3 cold starts, 1x/2x/4x")
    ap.add_argument("--mb", type=float, help="text to parse for throughput, in MB (default 50; quick 3)")
    ap.add_argument("--runs", type=int, help="cold-start runs (default 7; quick 3)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocess timing")
    args = ap.parse_args(argv)
    target_mb = args.mb if args.mb is not None else (3.0 if args.quick else 50.0)
    runs = args.runs if args.runs is not None else (3 if args.quick else 7)
    scales = [1, 2, 4] if args.quick else [1, 2, 4, 8]

    try:
        pipeline = importlib.import_module("crashsift.pipeline")
    except ImportError as err:
        sys.exit(f"parse_speed: cannot import crashsift.pipeline ({err})")
    parse_text = pipeline.parse_text

    folder = corpus_dir()
    corpus = load_corpus(folder)
    one_size = sum(p.size for p in corpus)
    seed = seed_paste(folder)
    print(f"crashsift parse speed  (python {sys.version.split()[0]}, {sys.platform})")
    print(f"corpus: {folder}  {len(corpus)} files, {one_size / MB:.2f} MB")

    # warm-up: imports, grammar construction, caches; timed apart so it is visible
    seed_text = seed.read_text(encoding="utf-8", errors="replace")
    start = time.perf_counter()
    parse_text(seed_text, str(seed))
    print(f"first parse in process (warm-up, {seed.name}): {time.perf_counter() - start:.3f} s")

    # (a) throughput
    work = repeat_to(corpus, int(target_mb * MB))
    gc.collect()
    rss_before = peak_rss_mb()
    run = parse_all(parse_text, work)
    rss_after = peak_rss_mb()
    mb_s = run.size / MB / run.seconds
    print()
    print(
        f"[throughput] {run.size / MB:.1f} MB in {run.files} files "
        f"({len(work) // len(corpus)}x corpus), one process: {run.seconds:.2f} s"
    )
    ok = verdict(mb_s >= TARGET_MB_S)
    print(f"  {mb_s:8.2f} MB/s        target >= {TARGET_MB_S:.0f} MB/s per core  {ok}")
    print(f"  {run.reports / run.seconds:8.0f} reports/s   ({run.reports} reports)")
    print(f"  {run.files / run.seconds:8.0f} files/s")
    print(f"  peak RSS {rss_after:.0f} MB (before parsing {rss_before:.0f} MB; ru_maxrss)")
    if run.errors:
        print(f"  {run.errors} pastes raised; first: {run.first_error}")

    # per-stage split, on one copy of the corpus (wrapping costs a little)
    split: Run | None = None
    with stage_timers(pipeline) as totals:
        if totals:
            split = parse_all(parse_text, corpus)
    if split is not None:
        print(f"  per stage (1x corpus, {split.seconds:.2f} s):")
        other = split.seconds - sum(totals.values())
        for label, secs in [*totals.items(), ("other", other)]:
            share = 100 * secs / split.seconds if split.seconds else 0.0
            print(f"    {label:<13} {secs:7.3f} s  {share:5.1f} %")
    else:
        print("  per stage: crashsift.pipeline exposes no stage functions; skipped")

    # (b) cold start
    print()
    if args.no_cold:
        print("[cold start] skipped (--no-cold)")
    else:
        cmd, times, failure = cold_start(seed, runs)
        shown = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))
        if failure:
            print(f"[cold start] `{shown}` failed: {failure}")
        else:
            med = statistics.median(times)
            print(
                f"[cold start] `{shown}`, median of {runs}: {med:.3f} s "
                f"(min {min(times):.3f}, max {max(times):.3f})   "
                f"target <= {TARGET_COLD_S} s  {verdict(med <= TARGET_COLD_S)}"
            )

    # (c) scaling with N
    print()
    print("[scaling] corpus repeated N times, one process")
    base: float | None = None
    for n in scales:
        gc.collect()
        r = parse_all(parse_text, list(corpus) * n)
        base = base or r.seconds
        print(
            f"  N={n}:  {r.seconds:7.3f} s   t(N)/t(1) = {r.seconds / base:5.2f}   "
            f"per copy {r.seconds / n / base:4.2f}x   {r.size / MB / r.seconds:6.2f} MB/s"
        )
    print("  (linear scaling: t(N)/t(1) ~ N, per copy ~ 1.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
