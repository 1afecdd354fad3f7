"""Scale of the correlation engine: 1k, 10k and 100k synthetic crashes made from real stacks.

Issue 5's target: bucketing + paths + graph for 100k reports in <= 60 s and <= 2 GB on this
2-core machine. Run from the repository root:

    .venv/bin/python bench/correlate_scale.py                 # 1k, 10k, 100k
    .venv/bin/python bench/correlate_scale.py --sizes 1000 --tracemalloc

The crash stacks of the shared corpus (`../shared/corpus`, else the bundled `corpus/`) with >= 2
frames are the bases. Each synthetic record copies a base (bases drawn Zipf-like, so a few crashes
are common and most rare, as in real crash sets) and applies 0-3 perturbations: drop a frame,
insert a frame from another stack, swap two neighbouring frames, add an inlined helper frame
(``mod!fn_inlined`` above ``mod!fn``), or rename the third-party driver (``evildriver`` ->
``evildriver7``) everywhere it appears. Offsets and arguments are gone after normalisation, so
frames are what varies.

Each size runs in a fresh child process, so memory figures do not carry over. Times are wall
clock (`time.perf_counter`) for `engine.correlate_records` (signatures, buckets, recurring paths,
same-area links, shared attributes; each stage timed by wrapping it) and for `graph.build`.
Memory is the process's peak resident set (`resource.getrusage(...).ru_maxrss`): after the
records are built (the base line), after correlating, after the graph. ru_maxrss is a high-water
mark, so "after graph" is the peak of the whole run. With `--tracemalloc` a second child per size
measures the peak of Python (and numpy) allocations within each of the two steps alone
(`tracemalloc`, which slows them several times; its times are not shown).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crashsift.correlate import buckets, engine, graph, paths, shared
from crashsift.correlate.normalize import NormFrame, patterns
from crashsift.correlate.records import CrashRecord, from_report
from crashsift.pipeline import parse_file

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS, TARGET_MB, TARGET_N = 60.0, 2048.0, 100_000
STAGES: tuple[tuple[object, str], ...] = (
    (buckets, "group"),
    (paths, "recurring"),
    (paths, "same_area"),
    (shared, "shared"),
    (shared, "contrasts"),
)


def corpus_folder() -> Path:
    shared_corpus = ROOT.parent / "shared" / "corpus"
    return shared_corpus if shared_corpus.is_dir() else ROOT / "corpus"


def base_records() -> list[CrashRecord]:
    """Every crash of the corpus whose stack has >= 2 frames."""
    out = []
    for path in sorted(corpus_folder().rglob("*.txt")):
        out.extend(r for rep in parse_file(path) if len((r := from_report(rep)).frames) >= 2)
    return out


# --- synthetic records ----------------------------------------------------------------------


@dataclass(slots=True)
class Synth:
    """Makes perturbed copies of the base records, reproducibly."""

    bases: list[CrashRecord]
    rng: random.Random
    weights: list[float] = field(default_factory=list)
    pool: list[NormFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        order = list(range(len(self.bases)))
        self.rng.shuffle(order)
        self.weights = [0.0] * len(self.bases)
        for rank, i in enumerate(order, 1):
            self.weights[i] = rank**-0.8
        self.pool = [f for b in self.bases for f in b.frames if f.module and f.function]

    def record(self, n: int) -> CrashRecord:
        base = self.rng.choices(self.bases, self.weights)[0]
        frames, modules = list(base.frames), set(base.modules)
        for _ in range(self.rng.randint(0, 3)):
            change = self.rng.choice(PERTURBATIONS)
            frames, modules = change(self, frames, modules)
        return replace(base, id=f"synthetic-{n:06d}", path=None, frames=frames, modules=modules)

    def drop(self, frames: list[NormFrame], modules: set[str]) -> tuple[list[NormFrame], set[str]]:
        if len(frames) < 2:
            return frames, modules
        i = self.rng.randrange(len(frames))
        return frames[:i] + frames[i + 1 :], modules

    def insert(self, frames: list[NormFrame], modules: set[str]) -> tuple[list[NormFrame], set[str]]:
        i = self.rng.randrange(len(frames) + 1)
        extra = self.rng.choice(self.pool)
        return [*frames[:i], extra, *frames[i:]], modules | {str(extra.module)}

    def swap(self, frames: list[NormFrame], modules: set[str]) -> tuple[list[NormFrame], set[str]]:
        if len(frames) < 2:
            return frames, modules
        i = self.rng.randrange(len(frames) - 1)
        return [*frames[:i], frames[i + 1], frames[i], *frames[i + 2 :]], modules

    def inline(self, frames: list[NormFrame], modules: set[str]) -> tuple[list[NormFrame], set[str]]:
        named = [i for i, f in enumerate(frames) if f.function]
        if not named:
            return frames, modules
        i = self.rng.choice(named)
        helper = NormFrame(frames[i].module, f"{frames[i].function}_inlined")
        return [*frames[:i], helper, *frames[i:]], modules

    def rename(self, frames: list[NormFrame], modules: set[str]) -> tuple[list[NormFrame], set[str]]:
        microsoft = patterns("microsoft_modules.txt")
        third = [f.module for f in frames if f.module and f.module not in microsoft]
        if not third:
            return frames, modules
        old = third[0]
        new = f"{old}{self.rng.randint(2, 9)}"
        renamed = [NormFrame(new, f.function) if f.module == old else f for f in frames]
        return renamed, (modules - {old}) | {new}


PERTURBATIONS: tuple[Callable[..., tuple[list[NormFrame], set[str]]], ...] = (
    Synth.drop,
    Synth.insert,
    Synth.swap,
    Synth.inline,
    Synth.rename,
)


def synthetic(bases: list[CrashRecord], n: int, seed: int = 5) -> list[CrashRecord]:
    synth = Synth(bases, random.Random(seed))
    return [synth.record(i) for i in range(n)]


# --- measuring ------------------------------------------------------------------------------


def rss_mb() -> float:
    """Peak resident set of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stage_timers(spent: dict[str, float]) -> Iterator[None]:
    """Wrap the engine's stage functions in timers (the engine looks them up at call time)."""
    originals = [(module, name, getattr(module, name)) for module, name in STAGES]

    def timed(name: str, fn: Callable) -> Callable:
        def run(*args: object) -> object:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return run

    for module, name, fn in originals:
        setattr(module, name, timed(name, fn))
    try:
        yield
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def measure(n: int) -> dict[str, Any]:
    """One size, in this process: build, correlate, graph; times and peak RSS."""
    started = time.perf_counter()
    records = synthetic(base_records(), n)
    out: dict[str, Any] = {"n": n, "frames": sum(len(r.frames) for r in records)}
    out["build_s"] = time.perf_counter() - started
    gc.collect()
    out["rss_base"] = rss_mb()
    spent: dict[str, float] = {}
    with stage_timers(spent):
        started = time.perf_counter()
        result = engine.correlate_records(records)
        out["correlate_s"] = time.perf_counter() - started
    out["stages"] = spent
    out["rss_correlate"] = rss_mb()
    started = time.perf_counter()
    g = graph.build(result)
    out["graph_s"] = time.perf_counter() - started
    out["rss_graph"] = rss_mb()
    out["counts"] = {
        "buckets": len(result.buckets),
        "paths": len(result.recurring_paths),
        "same_area": len(result.same_area),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
    }
    return out


def measure_traced(n: int) -> dict[str, Any]:
    """One size with tracemalloc: the peak allocated within correlating, then within the graph."""
    records = synthetic(base_records(), n)
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = engine.correlate_records(records)
    correlate_peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    graph.build(result)
    graph_peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return {"n": n, "correlate_mb": correlate_peak / 2**20, "graph_mb": graph_peak / 2**20}


def child(n: int, traced: bool) -> dict[str, Any]:
    """Run one size in a fresh interpreter and read back its JSON line."""
    flag = "--trace-one" if traced else "--one"
    done = subprocess.run(
        [sys.executable, __file__, flag, str(n)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(row: dict[str, Any], traced: dict[str, Any] | None) -> None:
    n = row["n"]
    stages: dict[str, float] = row["stages"]
    total = row["correlate_s"] + row["graph_s"]
    print(f"\nN = {n:,} reports, {row['frames']:,} frames (records built in {row['build_s']:.1f} s)")
    print(f"  {'step':<28}{'seconds':>9}{'peak RSS MB':>13}")
    print(f"  {'records built (base line)':<28}{'':>9}{row['rss_base']:>13.0f}")
    print(f"  {'correlate_records':<28}{row['correlate_s']:>9.2f}{row['rss_correlate']:>13.0f}")
    signatures = row["correlate_s"] - sum(stages.values())
    for name, seconds in (("signatures", signatures), *stages.items()):
        print(f"    {name:<26}{seconds:>9.2f}")
    print(f"  {'graph.build':<28}{row['graph_s']:>9.2f}{row['rss_graph']:>13.0f}")
    print(f"  {'total (correlate + graph)':<28}{total:>9.2f}")
    if traced:
        print(
            f"  tracemalloc peak within step: correlate {traced['correlate_mb']:.0f} MB, "
            f"graph {traced['graph_mb']:.0f} MB"
        )
    print("  " + ", ".join(f"{k} {v:,}" for k, v in row["counts"].items()))
    if n == TARGET_N:
        ok = total <= TARGET_SECONDS and row["rss_graph"] <= TARGET_MB
        verdict = "ok" if ok else "MISSED"
        print(f"  target {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB at {TARGET_N:,}: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--tracemalloc", action="store_true", help="also measure tracemalloc peaks per step")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--trace-one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    if args.trace_one:
        print(json.dumps(measure_traced(args.trace_one)))
        return
    print(f"bases: {corpus_folder()}; 2 cores; one child process per size")
    for n in args.sizes:
        report(child(n, traced=False), child(n, traced=True) if args.tracemalloc else None)


if __name__ == "__main__":
    main()
