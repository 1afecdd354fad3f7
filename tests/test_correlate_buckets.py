"""Similarity buckets: the stack similarity's properties (values worked out by hand from the
formula in `crashsift.correlate.similarity`, alpha 0.5, gamma 0.1), merging through the frame
index, stable ids, the `why` of a merge, fallback singletons, and real groups of the bundled
corpus (`corpus/MANIFEST.tsv` `cluster:` notes)."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
from conftest import CORPUS

from crashsift.correlate import buckets
from crashsift.correlate.engine import Bucket, Correlation
from crashsift.correlate.normalize import NormFrame
from crashsift.correlate.records import CrashRecord, from_report
from crashsift.correlate.signature import signature
from crashsift.correlate.similarity import FrameStats, agreement, shared_frames, similarity
from crashsift.pipeline import parse_file

# Every key seen once in a collection of one report: every frame weighs ln 2 times its position
# weight (1 + p) ** -0.5, so the frequency half cancels out of a ratio.
FLAT = FrameStats(1, {})
W = [1.0, 0.707107, 0.577350, 0.5]  # (1 + p) ** -0.5 for p = 0..3
SHIFT = 0.904837  # exp(-0.1): one position off


def record(rid: str, keys: list[str], bugcheck: str | None = None) -> CrashRecord:
    frames = [NormFrame(*k.split("!", 1)) for k in keys]
    return CrashRecord(rid, None, 1, "kernel", "x64", bugcheck, None, frames)


def grouped(records: list[CrashRecord]) -> list[Bucket]:
    return buckets.group(Correlation(records, {r.id: signature(r) for r in records}))


def bucket_of(result: list[Bucket], rid: str) -> Bucket:
    return next(b for b in result if rid in b.members)


# -- similarity ---------------------------------------------------------------------------------


def test_identical_stacks_are_one_and_disjoint_ones_zero():
    stack = ["fltmgr!TreeUnlinkMulti", "fltmgr!FltpPerformPreCallbacks", "nt!IopDeleteFile"]
    assert similarity(stack, stack, FLAT) == pytest.approx(1.0)
    assert similarity(stack, ["a!x", "b!y", "c!z"], FLAT) == 0.0


def test_unknown_frames_never_match():
    assert similarity(["?", "?"], ["?", "?"], FLAT) == 0.0


def test_similarity_is_symmetric():
    a, b = ["m!a", "m!b", "m!c"], ["m!x", "m!a", "m!c", "m!d"]
    assert similarity(a, b, FLAT) == pytest.approx(similarity(b, a, FLAT))


def test_a_match_at_the_top_weighs_more_than_one_at_the_bottom():
    base = ["m!a", "m!b", "m!c", "m!d"]
    total = 2 * sum(W)  # both stacks: four frames at positions 0..3
    top = similarity(base, ["m!a", "n!x", "n!y", "n!z"], FLAT)  # m!a at 0 in both
    bottom = similarity(base, ["n!w", "n!x", "n!y", "m!d"], FLAT)  # m!d at 3 in both
    assert top == pytest.approx(2 * W[0] / total, abs=1e-5)  # 0.35914
    assert bottom == pytest.approx(2 * W[3] / total, abs=1e-5)  # 0.17957
    assert top > bottom


def test_rare_frames_weigh_more_than_common_ones():
    stats = FrameStats(10, {"c!common": 10, "r!rare": 1})  # idf: ln 2 and ln 11 (unseen: ln 11)
    common = similarity(["c!common", "x!one"], ["c!common", "y!one"], stats)
    rare = similarity(["r!rare", "x!two"], ["r!rare", "y!two"], stats)
    ln2, ln11 = math.log(2), math.log(11)
    assert common == pytest.approx(2 * ln2 / (2 * (ln2 + W[1] * ln11)), abs=1e-5)  # 0.29017
    assert rare == pytest.approx(2 * ln11 / (2 * (ln11 + W[1] * ln11)), abs=1e-5)  # 0.58579
    assert rare > common


def test_a_frame_that_moved_keeps_most_of_its_weight():
    # m!a, m!b at 0, 1 in one stack and 1, 2 in the other (a frame added on top)
    score = ((W[0] + W[1]) + (W[1] + W[2])) * SHIFT
    total = (W[0] + W[1]) + (W[0] + W[1] + W[2])
    assert similarity(["m!a", "m!b"], ["m!new", "m!a", "m!b"], FLAT) == pytest.approx(score / total, abs=1e-5)


def test_agreement_ignores_frames_a_stack_cut_short_does_not_show():
    short, full = ["m!a", "m!b"], ["m!a", "m!b", "m!c", "m!d"]
    assert agreement(short, full, FLAT) == pytest.approx(1.0)
    assert similarity(short, full, FLAT) == pytest.approx(
        2 * (W[0] + W[1]) / (W[0] + W[1] + sum(W)), abs=1e-5
    )


def test_frame_stats_count_a_key_once_per_stack():
    stats = FrameStats.of([["m!a", "m!b", "m!a"], ["m!a", "?"]])
    assert stats.n == 2
    assert stats.df == {"m!a": 2, "m!b": 1}
    assert shared_frames(["m!a", "m!b", "?"], ["m!b", "?", "m!a"]) == ["m!a", "m!b"]


# -- merging through the index ------------------------------------------------------------------


def families(count: int, size: int = 10) -> list[list[str]]:
    """`count` unrelated crashes, each seen `size` times with one of its frames below the top
    dropped; two crashes share each top frame, so near misses are found and compared too."""
    out = []
    for f in range(count):
        base = [f"pair{f // 2}!top"] + [f"fam{f}!frame{p}" for p in range(1, 8)]
        out += [base[: 1 + v % 7] + base[2 + v % 7 :] for v in range(size)]
    return out


def test_merging_finds_the_families_without_comparing_all_pairs():
    small, large = families(50), families(100)
    links_small = buckets.link([[s] for s in small], FrameStats.of(small))
    links_large = buckets.link([[s] for s in large], FrameStats.of(large))
    for stacks, links in ((small, links_small), (large, links_large)):
        roots = {links.find(i) for i in range(len(stacks))}
        assert len(roots) == len(stacks) // 10  # each family one bucket, no two families together
        assert links.comparisons <= 10 * len(stacks)  # all pairs: n (n - 1) / 2, 124 750 for 500
    assert links_large.comparisons <= 2.2 * links_small.comparisons  # twice the stacks, twice the work


def test_a_frame_in_most_reports_finds_no_candidates():
    stacks = [["nt!IofCallDriver", f"drv{i}!Dispatch"] for i in range(100)]
    links = buckets.link([[s] for s in stacks], FrameStats.of(stacks))
    assert links.comparisons == 0
    assert not links.merges


# -- buckets ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> list[CrashRecord]:
    return [from_report(r) for path in sorted(CORPUS.glob("*/*.txt")) for r in parse_file(path)]


def test_bucket_ids_are_stable_across_runs_and_input_order(bundled):
    first = grouped(bundled)
    again = grouped(list(bundled))
    backwards = grouped(bundled[::-1])
    assert first == again == backwards
    assert len({b.id for b in first}) == len(first)
    assert all(b.members == sorted(b.members) for b in first)
    assert [len(b.members) for b in first] == sorted((len(b.members) for b in first), reverse=True)


def test_a_merge_says_why_with_the_similarity_and_the_shared_frames():
    """The seed crash, and a copy of it whose top frame is gone (a new signature): two records,
    so each frame of both stacks has idf ln 2, fltmgr!TreeUnlinkMulti (only in the seed) ln 3."""
    seed = from_report(parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")[0])
    top = next(i for i, f in enumerate(seed.frames) if f.key == "fltmgr!TreeUnlinkMulti")
    copy = replace(seed, id="copy", frames=seed.frames[:top] + seed.frames[top + 1 :])
    assert signature(copy).text == "fltmgr!FltpPerformPreCallbacks"
    # seed stack: TreeUnlinkMulti, 9 known frames, `?`; the copy: the 9 known frames one up, `?`.
    # sum of k ** -0.5 for k = 1..9 is 4.704769; for k = 2..10, 4.020997.
    ln2, ln3 = math.log(2), math.log(3)
    score = SHIFT * ln2 * (4.704769 + 4.020997)
    total = (ln3 + ln2 * 4.020997) + ln2 * 4.704769
    assert score / total == pytest.approx(0.7657, abs=1e-4)

    (bucket,) = grouped([seed, copy])
    assert bucket.members == sorted([seed.id, "copy"])
    assert bucket.why == [
        "signature fltmgr!FltpPerformPreCallbacks (1 report): skip: dropped 1 reporting frame(s); "
        "signature: fltmgr!FltpPerformPreCallbacks",
        "signature fltmgr!TreeUnlinkMulti (1 report): skip: dropped 1 reporting frame(s); "
        "signature: fltmgr!TreeUnlinkMulti",
        "merged fltmgr!TreeUnlinkMulti with fltmgr!FltpPerformPreCallbacks: similarity 0.77, shared frames "
        "fltmgr!FltpPerformPreCallbacks, fltmgr!FltpPassThrough, fltmgr!FltpDispatch, nt!IopDeleteFile, "
        "nt!ObfDereferenceObject, nt!IopParseDevice and 3 more",
    ]


def test_reports_without_a_stack_stay_alone():
    alone = grouped([record("a", []), record("b", []), record("c", [])])
    assert [b.members for b in sorted(alone, key=lambda b: b.members)] == [["a"], ["b"], ["c"]]
    assert {b.signature for b in alone} == {"(no stack)"}
    assert len({b.id for b in alone}) == 3


def test_a_bug_check_code_alone_does_not_join_reports():
    alone = grouped([record("a", [], "0x9f"), record("b", [], "0x9f")])
    assert sorted(len(b.members) for b in alone) == [1, 1]
    assert {b.signature for b in alone} == {"bug check 0x9f (no frame)"}


def test_a_signature_whose_stacks_disagree_is_split():
    """Same top frame, nothing else shared: agreement 2 ln2 / (2 (ln2 + ln3 * 3.704769)) = 0.146
    (drv!Report in both reports, idf ln 2; every other frame in one, ln 3)."""
    one = record("one", ["drv!Report"] + [f"a!f{i}" for i in range(8)])
    two = record("two", ["drv!Report"] + [f"b!f{i}" for i in range(8)])
    result = grouped([one, two])
    assert sorted(b.members for b in result) == [["one"], ["two"]]
    assert {b.signature for b in result} == {"drv!Report"}
    notes = [s for b in result for s in b.why if "disagrees" in s]
    assert len(notes) == 1 and "(0.15)" in notes[0]


# -- real groups of the bundled corpus ----------------------------------------------------------


def manifest_clusters() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if m := re.search(r"cluster:([\w.-]+)", line):
            out.setdefault(m.group(1), []).append(line.split("\t", 1)[0])
    return out


# In the bundled corpus: ff-GetBytecodeLength (code/001, code/004: one program built for x86 and
# x64, same top frames) and gsfailure-via-GSHandlerCheck (issues/003, issues/015: the same
# nt!_report_gsfailure path, one stack cut short) group. Not asserted: fltmgr-name-cache (two
# different stacks sharing fltmgr's name-cache code: a same-area link, not one bucket) and
# ksm-7f-doublefault (issues/022 has no stack, only the analysis's faulting symbol).
GROUPED = ("ff-GetBytecodeLength", "gsfailure-via-GSHandlerCheck")


@pytest.mark.parametrize("cluster", GROUPED)
def test_manifest_clusters_of_the_bundled_corpus_come_out_in_one_bucket(bundled, cluster):
    files = manifest_clusters()[cluster]
    assert len(files) >= 2
    result = grouped(bundled)
    ids = [r.id for r in bundled if any(r.id.startswith(f"{f}:") for f in files)]
    assert len(ids) == len(files)
    assert len({bucket_of(result, rid).id for rid in ids}) == 1


def test_the_case_study_and_the_seed_pastes_of_one_crash_share_a_bucket(bundled):
    result = grouped(bundled)
    for case, seed in ((1, "fltmgr-0x3b-session.txt:1"), (103, "fltmgr-second-crash-k.txt:1")):
        study = next(r.id for r in bundled if r.id.startswith(f"seed/case-study-article.txt:{case}-"))
        pasted = next(r.id for r in bundled if r.id.startswith(f"seed/{seed}-"))
        assert bucket_of(result, study) is bucket_of(result, pasted)


ANALYSIS = """\
1: kd> !analyze -v
DRIVER_POWER_STATE_FAILURE (9f)
Arguments:
Arg1: 0000000000000003, A device object has been blocking an Irp for too long a time
Arg2: {arg2}, Physical Device Object of the stack
Arg3: fffff80058091850, nt!TRIAGE_9F_POWER on Win7 and higher
Arg4: ffffcd0990b93010, The blocked IRP
"""


def test_code_only_reports_join_only_when_they_show_the_same_arguments():
    from crashsift.correlate.engine import correlate
    from crashsift.pipeline import parse_text

    same = parse_text(ANALYSIS.format(arg2="ffffcd0990d7ade0"), "a/one.txt")
    same += parse_text(ANALYSIS.format(arg2="ffffcd0990d7ade0"), "b/two.txt")
    other = parse_text(ANALYSIS.format(arg2="ffffaa06b8bab840"), "c/three.txt")
    result = correlate(same + other)
    sizes = sorted(len(b.members) for b in result.buckets)
    assert sizes == [1, 2]
    joined = next(b for b in result.buckets if len(b.members) == 2)
    args = "0x3,0xffffcd0990d7ade0,0xfffff80058091850,0xffffcd0990b93010"
    assert joined.why[-1].endswith(f"same crash: args:0x9f:{args} shown by more than one paste")


def test_a_pseudo_stack_at_address_zero_is_no_stack():
    from crashsift.correlate.records import from_report
    from crashsift.pipeline import parse_text

    text = (
        "STACK_TEXT:  \n00000000`00000000 00000000`00000000 heap_corruption!Mem.exe+0x0\n"
        "\nSYMBOL_NAME:  heap_corruption!Mem.exe\n"
    )
    (report,) = parse_text(text)
    assert report.stacks and report.stacks[0].frames  # the parser reads the line…
    assert from_report(report).frames_from == "none"  # …but it is no place in the code


def test_pastes_of_one_dump_join_but_not_every_memory_dmp():
    from crashsift.correlate.engine import correlate
    from crashsift.pipeline import parse_text

    def opened(name: str, args: str) -> str:
        return f"Loading Dump File [C:\\\\Windows\\\\{name}]\nBugCheck 7E, {{{args}}}\n"

    # the same dated minidump, pasted twice with different arguments shown: joined by the file
    minidumps = parse_text(opened("Minidump\\\\102822-20890-01.dmp", "1, 2, 3, 4"), "a/x.txt")
    minidumps += parse_text(opened("Minidump\\\\102822-20890-01.dmp", "1, 2, 3"), "b/y.txt")
    # two crashes that both open MEMORY.DMP: not joined by that
    full = parse_text(opened("MEMORY.DMP", "5, 6, 7, 8"), "c/z.txt")
    full += parse_text(opened("MEMORY.DMP", "9, 6, 7, 8"), "d/w.txt")
    result = correlate(minidumps + full)
    assert sorted(len(b.members) for b in result.buckets) == [1, 1, 2]
