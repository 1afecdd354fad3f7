"""Time each stage of the pipeline over the shared corpus: repair, segmentation, each parser.

Prints milliseconds per pass over the corpus and the whole pipeline's MB/s. Run from the
repository root: `.venv/bin/python bench/stages.py [--passes N]`. Falls back to `corpus/`
when ../shared/corpus is not there.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from crashsift.parsers import parser_for
from crashsift.pipeline import parse_text
from crashsift.repair import repair
from crashsift.segment import segment

ROOT = Path(__file__).resolve().parents[1]


def corpus_texts() -> list[str]:
    shared = ROOT.parent / "shared" / "corpus"
    folder = shared if shared.is_dir() else ROOT / "corpus"
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*.txt"))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=5)
    passes = ap.parse_args().passes
    texts = corpus_texts()
    size = sum(len(t.encode("utf-8")) for t in texts)
    spent: Counter[str] = Counter()
    for _ in range(passes):
        for text in texts:
            started = time.perf_counter()
            lines = repair(text).lines
            repaired = time.perf_counter()
            segments = segment(lines)
            spent["repair"] += repaired - started
            spent["segment"] += time.perf_counter() - repaired
            for seg in segments:
                parser = parser_for(seg.kind)
                if parser is not None and seg.lines:
                    began = time.perf_counter()
                    parser(seg.lines)
                    spent[f"parse:{seg.kind}"] += time.perf_counter() - began
    started = time.perf_counter()
    for _ in range(passes):
        for text in texts:
            parse_text(text)
    total = time.perf_counter() - started
    print(
        f"{len(texts)} files, {size / 1e6:.2f} MB; whole pipeline {passes * size / 1e6 / total:.2f} MB/s "
        f"({total / passes * 1000:.0f} ms per pass)"
    )
    for stage, seconds in spent.most_common():
        print(f"  {stage:16} {seconds / passes * 1000:6.1f} ms per pass")


if __name__ == "__main__":
    main()
