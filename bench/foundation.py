"""Throughput with every parser family against the foundation alone (issue 2's `!analyze` and
k-family parsers, without the register/instruction decoding issue 3 added to `!analyze`).

Issue 3 asks that the follow-up families cost at most 20 % of the foundation's throughput.
Findings are off in both (`bench/evidence.py` measures them). Both configurations run
alternately in one process over the shared corpus (or `corpus/`), so machine noise hits both
alike; prints best and median MB/s and their ratio.
Run from the repository root: `.venv/bin/python bench/foundation.py [--passes 15]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from stages import corpus_texts

import crashsift.pipeline as pipeline
from crashsift import parsers
from crashsift.parsers import analyze

FOUNDATION = {"analyze", "stack"}
DECODE: Callable = analyze._decode


def configure(everything: bool) -> None:
    """Switch the pipeline between all families and the foundation alone. Findings (issue 4's
    reasoning, measured by `bench/evidence.py`) are off in both: this compares parsers."""
    pipeline.find_evidence = lambda report, lines: []
    if everything:
        pipeline.parser_for, pipeline.command_hook_for = parsers.parser_for, parsers.command_hook_for
        analyze._decode = DECODE
    else:
        pipeline.parser_for = lambda family: parsers.parser_for(family) if family in FOUNDATION else None
        pipeline.command_hook_for = lambda family: None
        analyze._decode = lambda record, diagnostics: None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=15)
    passes = ap.parse_args().passes
    texts = corpus_texts()
    size = sum(len(t.encode("utf-8")) for t in texts)
    times: dict[bool, list[float]] = {True: [], False: []}
    for everything in (True, False):  # warm up both: grammars built, caches read
        configure(everything)
        for text in texts:
            pipeline.parse_text(text)
    for _ in range(passes):
        for everything in (True, False):
            configure(everything)
            started = time.perf_counter()
            for text in texts:
                pipeline.parse_text(text)
            times[everything].append(time.perf_counter() - started)
    configure(True)
    for everything, label in ((False, "foundation (analyze + k family)"), (True, "every family")):
        spent = sorted(times[everything])
        best, median = size / 1e6 / spent[0], size / 1e6 / spent[passes // 2]
        print(f"{label:32} best {best:5.2f} MB/s   median {median:5.2f} MB/s")
    ratio = sorted(times[False])[passes // 2] / sorted(times[True])[passes // 2]
    print(f"every family / foundation (median): {ratio:.3f}  (issue 3 asks >= 0.80)")


if __name__ == "__main__":
    main()
