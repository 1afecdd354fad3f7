"""What the evidence rules cost: milliseconds per pass over the corpus for each rule, per report,
and the whole pipeline's throughput with and without findings.

Run from the repository root: `.venv/bin/python bench/evidence.py [--passes N]` (the shared
corpus, else `corpus/`).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from stages import corpus_texts

import crashsift.pipeline as pipeline
from crashsift import evidence
from crashsift.evidence.session import Session
from crashsift.repair import repair


def rule_costs(texts: list[str], passes: int) -> tuple[Counter[str], int]:
    """Per-rule seconds over `passes` passes, and the number of reports."""
    pairs = [(rep, repair(text).lines) for text in texts for rep in pipeline.parse_text(text)]
    spent: Counter[str] = Counter()
    for _ in range(passes):
        for rep, lines in pairs:
            started = time.perf_counter()
            session = Session.of(rep, lines)
            spent["session"] += time.perf_counter() - started
            for rule in evidence.RULES:
                started = time.perf_counter()
                rule(session)
                spent[rule.__module__.rsplit(".", 1)[-1]] += time.perf_counter() - started
    return spent, len(pairs)


def throughput(texts: list[str], passes: int, size: int) -> dict[bool, float]:
    """Median MB/s of the whole pipeline with and without findings, measured alternately."""
    real = pipeline.find_evidence
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(passes):
        for with_findings in (True, False):
            pipeline.find_evidence = real if with_findings else (lambda report, lines: [])
            started = time.perf_counter()
            for text in texts:
                pipeline.parse_text(text)
            times[with_findings].append(time.perf_counter() - started)
    pipeline.find_evidence = real
    return {k: size / 1e6 / sorted(v)[passes // 2] for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=7)
    passes = ap.parse_args().passes
    texts = corpus_texts()
    size = sum(len(t.encode("utf-8")) for t in texts)
    spent, reports = rule_costs(texts, passes)
    total = sum(spent.values()) / passes
    print(
        f"{reports} reports, {size / 1e6:.2f} MB; evidence {total * 1e3:.1f} ms per pass"
        f" ({total / reports * 1e6:.0f} µs per report)"
    )
    for name, seconds in spent.most_common():
        print(f"  {name:10} {seconds / passes * 1e3:6.2f} ms")
    mbs = throughput(texts, passes, size)
    print(
        f"pipeline with findings {mbs[True]:.2f} MB/s, without {mbs[False]:.2f} MB/s"
        f" ({mbs[True] / mbs[False]:.3f})"
    )


if __name__ == "__main__":
    main()
