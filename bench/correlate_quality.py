"""How well crashsift's buckets group crashes, against two baselines, on the shared corpus.

Run from the repository root: `.venv/bin/python bench/correlate_quality.py`. Needs
../shared/corpus (the bundled corpus/ is too small to measure anything); says so and stops
when it is absent. Five measurements, printed in one run:

1. Silver set: the reports that have a FAILURE_BUCKET_ID, re-parsed with every line that names
   the bucket removed from the text (`BUCKET_NAMING`: FAILURE_* fields such as FAILURE_BUCKET_ID,
   FAILURE_ID_HASH(_STRING), FAILURE_PROBLEM_CLASS, FAILURE_SYMBOL_NAME, FAILURE_IMAGE_NAME; BUCKET_ID
   and BUCKET_ID_*; DEFAULT_BUCKET_ID; SYMBOL_NAME and SYMBOL_STACK_INDEX; PRIMARY_PROBLEM_CLASS and
   the PROBLEM_CLASSES block; MODULE_NAME, IMAGE_NAME, FAULTING_MODULE; FOLLOWUP_IP with its
   symbol and instruction lines; WATSON_BKT_*; THREAD_SHA1_HASH_* (a hash of the bucketed
   stack); "Probably caused by"; and the KEY_VALUES keys Failure.* and Bucketing.* with their
   Value lines). Labels: the original FAILURE_BUCKET_ID. BCubed precision, recall and F1 for
   crashsift's buckets, baseline A (identical full list of normalised frame keys) and baseline B
   (ClusterFuzz: the longest common subsequence of the top 3 frames, after the signature's skip
   and sentinel rules, has length >= 2; transitive closure). Reports without any frame are
   singletons in both baselines, as in crashsift. An "all singletons" row shows what splitting
   everything scores: the labels are nearly all distinct, so precision dominates and merging
   can only lose here; the silver set detects over-merging, not under-merging. A second table
   cuts the labels to the bucket's symbol (`symbol_label`), undoing WinDbg's splits of one crash
   by debugger version, build and failure class.
2. Manifest clusters (`cluster:` notes) over the whole corpus: for each cluster, whether its
   members came out in one bucket, and BCubed with the cluster as label (every other report its
   own label: the manifest says nothing of them, they are assumed distinct).
3. Synthetic perturbations of real stacks: for each report whose signature stack has >= 3
   frames, one copy per kind (offsets changed; one frame dropped; one inlined frame added; two
   adjacent frames swapped; a frame dropped and an inlined frame added), at a random position in
   the top 8 frames of the signature stack, bucketed together with the whole corpus; the
   fraction that lands in its original's bucket.
4. Margins: the closest stacks of different signatures in the corpus, and how similar the
   perturbed copies whose signature changed are to their original: what the threshold separates.
5. Calibration: the measurements above at several thresholds and agreement levels.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from networkx.utils import UnionFind
from stages import ROOT

from crashsift.correlate import buckets
from crashsift.correlate.engine import Correlation
from crashsift.correlate.normalize import NormFrame, module_name, normalize_stack
from crashsift.correlate.records import CrashRecord, crash_stack, from_report
from crashsift.correlate.signature import Signature, signature
from crashsift.correlate.similarity import FrameStats, aligned, weigh
from crashsift.model import Report
from crashsift.pipeline import parse_file, parse_text

SHARED = ROOT.parent / "shared" / "corpus"
THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
AGREEMENTS = (0.3, 0.4, 0.5, 0.6, 0.7)
KINDS = ("offsets", "drop", "inline", "swap", "drop+inline")
TOP = 8  # perturbations hit one of the top 8 frames of the signature stack

BUCKET_NAMING = re.compile(
    r"^[\s>]*(?:FAILURE_[A-Z0-9_]+|BUCKET_ID[A-Z0-9_]*|DEFAULT_BUCKET_ID|SYMBOL_NAME|SYMBOL_STACK_INDEX"
    r"|PRIMARY_PROBLEM_CLASS|PROBLEM_CLASSES|MODULE_NAME|IMAGE_NAME|FAULTING_MODULE|FOLLOWUP_IP"
    r"|WATSON_BKT_[A-Z0-9_]+|THREAD_SHA1_HASH[A-Z0-9_]*|(?:Failure|Bucketing)\.[\w.]+)\s*:"
)
KEY_LINE = re.compile(r"^[\s>]*Key\s*:\s*(?:Failure|Bucketing)\.")  # `>`: a quoted paste
VALUE_LINE = re.compile(r"^[\s>]*Value\s*:")
CAUSED_BY = re.compile(r"^[\s>]*Probably caused by\s*:", re.IGNORECASE)
FIELD = re.compile(r"^(?:[A-Z][A-Z0-9_]{2,}|\s*Key\s*)\s*:|^\s*(?:\d+:)?(?:\d+(?::\w+)*|kd)>")

Partition = dict[str, str]  # record id -> cluster name


def strip_bucket_names(text: str) -> str:
    """The text without the lines that name the bucket (module docstring, item 1). A field whose
    value starts on the next line (FOLLOWUP_IP, PROBLEM_CLASSES) loses those lines too."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if KEY_LINE.match(line):
            i += 1 if i < len(lines) and VALUE_LINE.match(lines[i]) else 0
        elif CAUSED_BY.match(line):
            continue
        elif m := BUCKET_NAMING.match(line):
            if not line[m.end() :].strip():
                i = _skip_value(lines, i)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _skip_value(lines: list[str], i: int) -> int:
    """Past a field's value lines: up to a blank line after some text, or the next field."""
    seen = False
    while i < len(lines) and not FIELD.match(lines[i]):
        if not lines[i].strip() and seen:
            break
        seen = seen or bool(lines[i].strip())
        i += 1
    return i


@dataclass(slots=True)
class Case:
    """One report of the corpus: where it is, what it says, and its record (id `<file>#<n>`)."""

    rel: str
    report: Report
    record: CrashRecord


def load(folder: Path, strip: bool = False) -> list[Case]:
    cases = []
    for path in sorted(folder.rglob("*.txt")):
        rel = path.relative_to(folder).as_posix()
        if strip:
            text = path.read_text(encoding="utf-8", errors="replace")
            reports = parse_text(strip_bucket_names(text), path=str(path))
        else:
            reports = parse_file(path)
        cases += [Case(rel, r, replace(from_report(r), id=f"{rel}#{n}")) for n, r in enumerate(reports)]
    return cases


def partition_crashsift(
    records: list[CrashRecord],
    threshold: float = buckets.THRESHOLD,
    agreement: float = buckets.AGREEMENT,
) -> Partition:
    result = Correlation(records, {r.id: signature(r) for r in records})
    return {m: b.id for b in buckets.group(result, threshold, agreement) for m in b.members}


def partition_exact(records: list[CrashRecord]) -> Partition:
    """Baseline A: the identical full list of normalised frame keys; no frame: alone."""
    return {r.id: "|".join(r.keys) if r.keys else r.id for r in records}


def partition_clusterfuzz(records: list[CrashRecord]) -> Partition:
    """Baseline B: top 3 frames (after skip and sentinel), LCS >= 2, transitive closure."""
    tops = [[k for k in signature(r).stack[:3]] for r in records]
    sets = UnionFind(range(len(records)))
    for i in range(len(records)):
        for j in range(i):
            if _lcs(tops[i], tops[j]) >= 2:
                sets.union(i, j)
    return {r.id: records[min(group)].id for group in sets.to_sets() for r in (records[i] for i in group)}


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y and x != "?" else max(row[j], row[j - 1])
    return row[-1]


def bcubed(pred: Partition, gold: Partition) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 of `pred` against `gold`, over the items of `gold`."""
    items = list(gold)
    by_pred: dict[str, set[str]] = {}
    by_gold: dict[str, set[str]] = {}
    for e in items:
        by_pred.setdefault(pred[e], set()).add(e)
        by_gold.setdefault(gold[e], set()).add(e)
    p = r = 0.0
    for e in items:
        both = len(by_pred[pred[e]] & by_gold[gold[e]])
        p += both / len(by_pred[pred[e]])
        r += both / len(by_gold[gold[e]])
    p, r = p / len(items), r / len(items)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def silver(folder: Path) -> tuple[list[CrashRecord], Partition]:
    """The silver set's records, parsed from the stripped text, and their labels."""
    records, labels = [], {}
    original = load(folder)
    stripped = {(c.rel, c.record.id): c for c in load(folder, strip=True)}
    for case in original:
        label = case.report.failure_bucket_id
        twin = stripped.get((case.rel, case.record.id))
        if label is None:
            continue
        if twin is None:
            print(f"  ! {case.rel}: no such report once the bucket names are gone; left out")
            continue
        if twin.report.failure_bucket_id:
            print(f"  ! {case.rel}: still names its bucket after stripping ({twin.report.failure_bucket_id})")
        records.append(twin.record)
        labels[twin.record.id] = label
    return records, labels


def manifest_clusters(folder: Path) -> dict[str, str]:
    """File -> cluster name, from the `cluster:` notes of MANIFEST.tsv."""
    out = {}
    for line in (folder / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if m := re.search(r"cluster:([\w.-]+)", line):
            out[line.split("\t", 1)[0]] = m.group(1)
    return out


def perturbed(cases: list[Case], kind: str, seed: int = 5) -> list[tuple[str, CrashRecord]]:
    """(original id, perturbed copy) for each report whose signature stack has >= 3 frames."""
    rng = random.Random(f"{seed}:{kind}")
    out = []
    for case in cases:
        sig = signature(case.record)
        if len(sig.stack) < 3:
            continue
        frames = _perturb(case, sig, kind, rng)
        out.append((case.record.id, replace(case.record, id=f"{case.record.id}~{kind}", frames=frames)))
    return out


def _perturb(case: Case, sig: Signature, kind: str, rng: random.Random) -> list[NormFrame]:
    if kind == "offsets":
        stack = crash_stack(case.report)
        assert stack is not None
        return normalize_stack(replace(f, offset=hex(rng.randrange(1, 0x4000))) for f in stack.frames)
    frames = list(case.record.frames)
    where = _positions(case.record.keys, sig.stack)[:TOP]
    for step in kind.split("+"):
        at = where[rng.randrange(len(where) - 1)]  # not the last: a swap needs a frame below
        if step == "drop":
            del frames[at]
        elif step == "inline":
            module = frames[at].module
            frames.insert(at, NormFrame(module, f"Inlined{rng.randrange(10**6)}"))
        else:
            frames[at], frames[at + 1] = frames[at + 1], frames[at]
    return frames


def _positions(keys: list[str], stack: list[str]) -> list[int]:
    """Where the signature stack's frames sit in the full frame list (it is a subsequence)."""
    out, j = [], len(stack) - 1
    for i in range(len(keys) - 1, -1, -1):
        if j >= 0 and keys[i] == stack[j]:
            out.append(i)
            j -= 1
    return out[::-1]


def stay_rate(cases: list[Case], kind: str, partition: Callable[[list[CrashRecord]], Partition]) -> float:
    pairs = perturbed(cases, kind)
    part = partition([c.record for c in cases] + [copy for _, copy in pairs])
    return sum(part[orig] == part[copy.id] for orig, copy in pairs) / len(pairs)


def symbol_label(failure_bucket_id: str) -> str:
    """The bucket's symbol alone: what follows the exception code (``c0000005_``), without the
    failure class before it or an offset, its module named as WinDbg names the image's module
    (``-`` as ``_``) and crashsift names modules (case, extension, architecture:
    `normalize.module_name`). WinDbg names one crash ``WRONG_SYMBOLS_…``
    or ``STATUS_BREAKPOINT_…`` depending on its version and symbols, and one program built for
    x86 and x64 ``js-dbg-32-…`` and ``js-dbg-64-…``."""
    label = re.sub(r"^.*_[0-9a-f]{8}_", "", failure_bucket_id, flags=re.IGNORECASE).split("+", 1)[0]
    module, bang, function = label.rpartition("!")
    return f"{module_name(module.replace('-', '_'))}!{function}" if bang else label


def row(name: str, values: Iterable[float]) -> str:
    return f"  {name:34}" + "".join(f"{v:9.3f}" for v in values)


def table(records: list[CrashRecord], gold: Partition) -> None:
    print(f"  {'':34}{'P':>9}{'R':>9}{'F1':>9}")
    print(row("crashsift buckets", bcubed(partition_crashsift(records), gold)))
    print(row("A: exact normalised stack", bcubed(partition_exact(records), gold)))
    print(row("B: ClusterFuzz top-3 LCS >= 2", bcubed(partition_clusterfuzz(records), gold)))
    print(row("(all singletons)", bcubed({r.id: r.id for r in records}, gold)))


def report_silver(records: list[CrashRecord], labels: Partition) -> None:
    labelled = len(set(labels.values()))
    print(f"\n1. Silver set: {len(records)} reports with a FAILURE_BUCKET_ID, {labelled} labels")
    table(records, labels)
    symbols = {k: symbol_label(v) for k, v in labels.items()}
    print(f"  The same with labels cut to the bucket's symbol ({len(set(symbols.values()))} labels):")
    table(records, symbols)
    print(
        "  Nearly every label is distinct, so merging can only cost precision against the full labels;\n"
        "  they split one crash by debugger version (WRONG_SYMBOLS_ / STATUS_BREAKPOINT_), by build\n"
        "  (x86 / x64) and by failure class, which crashsift joins: the symbol labels undo those splits."
    )


def report_clusters(folder: Path, cases: list[Case]) -> None:
    clusters = manifest_clusters(folder)
    gold = {c.record.id: clusters.get(c.rel, c.record.id) for c in cases}
    ours = partition_crashsift([c.record for c in cases])
    print(
        f"\n2. Manifest clusters over the whole corpus ({len(cases)} reports, {len(set(clusters.values()))})"
    )
    for name in sorted(set(clusters.values())):
        members = [c for c in cases if clusters.get(c.rel) == name]
        together = "one bucket" if len({ours[c.record.id] for c in members}) == 1 else "split"
        sigs = "; ".join(sorted({signature(c.record).text for c in members}))
        print(f"  {together:10}  {name:34} {len(members)} reports; signatures: {sigs}")
    table([c.record for c in cases], gold)
    print(
        "  Reports outside the clusters count as distinct; seed/case-study-article.txt holds the two seed\n"
        "  crashes again, so joining them to the seed pastes costs every method precision here."
    )


def report_perturbations(cases: list[Case]) -> None:
    n = len(perturbed(cases, "offsets"))
    print(f"\n3. Perturbed copies that stay in their original's bucket ({n} stacks, one copy per kind)")
    print(f"  {'':34}" + "".join(f"{k:>12}" for k in KINDS))
    for name, partition in (
        ("crashsift buckets", partition_crashsift),
        ("A: exact normalised stack", partition_exact),
        ("B: ClusterFuzz top-3 LCS >= 2", partition_clusterfuzz),
    ):
        print(f"  {name:34}" + "".join(f"{stay_rate(cases, k, partition):12.3f}" for k in KINDS))


def report_margins(cases: list[Case]) -> None:
    """What the threshold has to separate: stacks of different signatures in the corpus (none of
    the same bug, by the manifest), and perturbed copies whose signature changed (which only a
    similarity merge brings back to their original)."""
    sigs = {c.record.id: signature(c.record) for c in cases}
    stats = FrameStats.of(s.stack for s in sigs.values())
    weighed = {k: weigh(s.stack, stats) for k, s in sigs.items() if s.stack}
    ids = sorted(weighed)
    apart = sorted(
        (aligned(weighed[a], weighed[b]), a, b)
        for n, a in enumerate(ids)
        for b in ids[n + 1 :]
        if sigs[a].text != sigs[b].text
    )[::-1]
    print("\n4. Similarity margins (default parameters)")
    print("  closest stacks of different signatures in the corpus:")
    for score, a, b in apart[:3]:
        print(f"    {score:.3f}  {a} ({sigs[a].text})  ~  {b} ({sigs[b].text})")
    moved = []
    for kind in KINDS[1:]:
        pairs = perturbed(cases, kind)
        copies = {copy.id: signature(copy) for _, copy in pairs}
        stats = FrameStats.of(s.stack for s in [*sigs.values(), *copies.values()])
        for orig, copy in pairs:
            a, b = sigs[orig], copies[copy.id]
            if a.text != b.text and b.stack:
                moved.append(aligned(weigh(a.stack, stats), weigh(b.stack, stats)))
    moved.sort()
    quantiles = ", ".join(f"{q:.0%} {moved[int(q * (len(moved) - 1))]:.3f}" for q in (0.1, 0.25, 0.5))
    print(
        f"  {len(moved)} perturbed copies with a new signature, similarity to their original: "
        f"min {moved[0]:.3f}, {quantiles}"
    )


def report_calibration(
    folder: Path, cases: list[Case], records: list[CrashRecord], labels: Partition
) -> None:
    clusters = manifest_clusters(folder)
    gold = {c.record.id: clusters.get(c.rel, c.record.id) for c in cases}
    everything = [c.record for c in cases]
    print(
        "\n5. Calibration (stay: mean over the perturbation kinds; merges: similarity merges in the corpus)"
    )
    header = ("threshold", "agreement", "silver P", "silver F1", "clust P", "clust R", "stay", "merges")
    print("  " + "".join(f"{h:>10}" for h in header))
    settings = [(t, buckets.AGREEMENT) for t in THRESHOLDS]
    settings += [(buckets.THRESHOLD, a) for a in AGREEMENTS if a != buckets.AGREEMENT]
    for t, a in settings:
        silver_p, _, silver_f = bcubed(partition_crashsift(records, t, a), labels)
        part = partition_crashsift(everything, t, a)
        cp, cr, _ = bcubed(part, gold)
        stay = sum(stay_rate(cases, k, lambda rs, t=t, a=a: partition_crashsift(rs, t, a)) for k in KINDS)
        merges = len(set(partition_crashsift(everything, 1.01, a).values())) - len(set(part.values()))
        values = (t, a, silver_p, silver_f, cp, cr, stay / len(KINDS))
        print("  " + "".join(f"{v:10.3f}" for v in values) + f"{merges:10d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    if not SHARED.is_dir():
        print(f"{SHARED} is not there: this benchmark needs the shared corpus (corpus/ is too small).")
        return
    cases = load(SHARED)
    print(f"threshold {buckets.THRESHOLD}, agreement {buckets.AGREEMENT}; {len(cases)} reports in {SHARED}")
    records, labels = silver(SHARED)
    report_silver(records, labels)
    report_clusters(SHARED, cases)
    report_perturbations(cases)
    report_margins(cases)
    report_calibration(SHARED, cases, records, labels)


if __name__ == "__main__":
    main()
