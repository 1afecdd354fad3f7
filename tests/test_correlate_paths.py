"""Recurring code paths and same-area links (`crashsift.correlate.paths`).

Scores below are worked by hand from the formulas in the module doc:
path score = ln(1 + support) * sum(ln(N / df) + 1 over its frames).
"""

from __future__ import annotations

import math
from collections import defaultdict

from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.correlate import paths
from crashsift.correlate.engine import Correlation
from crashsift.correlate.normalize import NormFrame
from crashsift.correlate.records import CrashRecord, from_report
from crashsift.correlate.signature import signature
from crashsift.pipeline import parse_file

SESSION = "seed/fltmgr-0x3b-session.txt:1-039b12"
SECOND = "seed/fltmgr-second-crash-k.txt:1-43a2e5"


def frame(key: str) -> NormFrame:
    """``mod!fn``, ``mod`` (no symbol) or ``?`` as a normalised frame."""
    if key == "?":
        return NormFrame(None, None)
    module, _, function = key.partition("!")
    return NormFrame(module, function or None)


def record(rid: str, keys: list[str]) -> CrashRecord:
    frames = [frame(k) for k in keys]
    modules = {f.module for f in frames if f.module}
    return CrashRecord(rid, None, 1, "kernel", "x64", None, None, frames, modules=modules)


def correlation(records: list[CrashRecord]) -> Correlation:
    return Correlation(records, {r.id: signature(r) for r in records})


def corpus(*names: str) -> Correlation:
    return correlation([from_report(rep) for name in names for rep in parse_file(CORPUS / name)])


# --- recurring paths: hand-made ---------------------------------------------------------------


def test_maximal_paths_and_their_ranking() -> None:
    result = correlation(
        [
            record("r1", ["a!f1", "a!f2", "a!f3", "a!f4", "b!g"]),
            record("r2", ["x!y", "a!f1", "a!f2", "a!f3", "a!f4"]),
            record("r3", ["a!f2", "a!f3", "c!h"]),
        ]
    )
    found = paths.recurring(result)
    # f1..f4 is shared by r1 and r2; f2 f3 by all three. f1 f2, f3 f4, f1 f2 f3 ... are inside
    # f1..f4 with the same reports: not maximal.
    assert [(p.frames, p.reports, p.support) for p in found] == [
        (["a!f1", "a!f2", "a!f3", "a!f4"], ["r1", "r2"], 2),
        (["a!f2", "a!f3"], ["r1", "r2", "r3"], 3),
    ]
    # N = 3; df(f1) = df(f4) = 2, df(f2) = df(f3) = 3.
    # ln 3 * (2 * (ln 1.5 + 1) + 1 + 1) = 1.098612 * 4.810930 = 5.285
    # ln 4 * (1 + 1)                    = 1.386294 * 2        = 2.773
    assert [p.score for p in found] == [5.285, 2.773]


def test_unknown_frames_split_paths() -> None:
    result = correlation(
        [
            record("r1", ["a!p", "a!q", "?", "a!r", "a!s"]),
            record("r2", ["a!p", "a!q", "?", "a!r", "a!s"]),
            record("r3", ["a!q", "?", "a!r"]),
        ]
    )
    assert [(p.frames, p.reports) for p in paths.recurring(result)] == [
        (["a!p", "a!q"], ["r1", "r2"]),
        (["a!r", "a!s"], ["r1", "r2"]),
    ]


def test_support_counts_reports_not_occurrences() -> None:
    cycle = ["a!x", "a!y", "a!x", "a!y"]
    assert paths.recurring(correlation([record("r1", cycle), record("r2", ["b!z"])])) == []
    found = paths.recurring(correlation([record("r1", cycle), record("r2", cycle)]))
    assert [(p.frames, p.support) for p in found] == [(cycle, 2)]


def test_module_only_paths_are_not_reported() -> None:
    stack = ["ntdll", "kernel32", "kernelbase"]
    assert paths.recurring(correlation([record("r1", stack), record("r2", stack)])) == []


def test_long_stacks_are_read_to_max_depth() -> None:
    stack = [f"d!f{i}" for i in range(paths.MAX_DEPTH + 10)]
    (found,) = paths.recurring(correlation([record("r1", stack), record("r2", stack)]))
    assert found.frames == stack[: paths.MAX_DEPTH]


def _brute_force(stacks: list[list[str]], ids: list[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Every run of >= 2 known frames in >= 2 reports that no one-frame extension keeps."""
    held: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for rid, stack in zip(ids, stacks, strict=True):
        top = stack[: paths.MAX_DEPTH]
        for a in range(len(top)):
            for b in range(a + 2, len(top) + 1):
                if "?" in top[a:b]:
                    break
                held[tuple(top[a:b])].add(rid)
    shared = {run: docs for run, docs in held.items() if len(docs) >= 2}
    keys = {k for run in shared for k in run}
    return {
        run: tuple(sorted(docs))
        for run, docs in shared.items()
        if any("!" in k for k in run)
        and not any(shared.get((k, *run)) == docs or shared.get((*run, k)) == docs for k in keys)
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["m!a", "m!b", "m!c", "n!d", "m", "?"]), max_size=9), min_size=1, max_size=6
    )
)
def test_recurring_matches_brute_force(stacks: list[list[str]]) -> None:
    result = correlation([record(f"r{i}", s) for i, s in enumerate(stacks)])
    read = paths.stacks(result)
    ids = [r.id for r in result.records]
    found = paths.recurring(result)
    assert {tuple(p.frames): tuple(p.reports) for p in found} == _brute_force(read, ids)
    df = defaultdict(int)
    for stack in read:
        for key in set(stack[: paths.MAX_DEPTH]):
            df[key] += 1
    for p in found:
        idf = sum(math.log(len(ids) / df[k]) + 1 for k in p.frames)
        assert p.support == len(p.reports)
        assert p.score == round(math.log1p(p.support) * idf, 3)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)


# --- recurring paths: the bundled corpus ------------------------------------------------------


def test_driver_load_paths_of_the_corpus() -> None:
    """code/066, 067, 069 (InsightEngineering test drivers crashing in DriverEntry) and 084 (a
    driver waiting in DriverEntry) are all loaded by nt!IopLoadUnloadDriver -> IopLoadDriver; the
    first three through nt!PnpCallDriverEntry; 067 and 069 free pool from the driver."""
    result = corpus("code/066.txt", "code/067.txt", "code/069.txt", "code/084.txt")
    found = [(p.frames, p.reports, p.support, p.score) for p in paths.recurring(result)]
    # N = 4; df: PnpCallDriverEntry 3, IopLoadDriver 4, IopLoadUnloadDriver 4, RtlpHpFreeHeap 2,
    # ExFreePoolWithTag 2.  ln 4 * (ln 4/3 + 3) = 4.558; ln 3 * 2 (ln 2 + 1) = 3.720; ln 5 * 2 = 3.219
    assert found == [
        (
            ["nt!PnpCallDriverEntry", "nt!IopLoadDriver", "nt!IopLoadUnloadDriver"],
            ["code/066.txt:1-42d113", "code/067.txt:1-963cc2", "code/069.txt:1-67c285"],
            3,
            4.558,
        ),
        (
            ["nt!RtlpHpFreeHeap", "nt!ExFreePoolWithTag"],
            ["code/067.txt:1-963cc2", "code/069.txt:1-67c285"],
            2,
            3.72,
        ),
        (
            ["nt!IopLoadDriver", "nt!IopLoadUnloadDriver"],
            [
                "code/066.txt:1-42d113",
                "code/067.txt:1-963cc2",
                "code/069.txt:1-67c285",
                "code/084.txt:2-fa4a0b",
            ],
            4,
            3.219,
        ),
    ]


def test_case_study_article_repeats_the_second_crash() -> None:
    """The article quotes the second crash's stack whole: one 16-frame path, from the pool
    routine down to nt!NtSetInformationFile (KeBugCheckEx .. KiPageFault and KiSystemServiceCopyEnd
    dropped by the signature rules)."""
    result = corpus("seed/case-study-article.txt", "seed/fltmgr-second-crash-k.txt")
    top = paths.recurring(result)[0]
    assert top.reports == ["seed/case-study-article.txt:103-e6318b", SECOND]
    assert len(top.frames) == 16
    assert top.frames[:3] == ["nt!RtlDeleteNoSplay", "fltmgr!TreeUnlinkNoBalance", "fltmgr!TreeUnlinkMulti"]
    assert top.frames[-1] == "nt!NtSetInformationFile"


# --- same area ------------------------------------------------------------------------------


def test_seed_pair_shares_the_name_cache_tree_code() -> None:
    result = corpus("seed/fltmgr-0x3b-session.txt", "seed/fltmgr-second-crash-k.txt")
    assert paths.recurring(result) == []  # no two neighbouring frames in common
    function, module = paths.same_area(result)
    assert (function.level, function.reports, function.shared) == (
        "function",
        [SESSION, SECOND],
        ["fltmgr!TreeUnlinkMulti"],
    )
    assert function.why == (
        f"{SESSION} and {SECOND} have different stacks but both run fltmgr!TreeUnlinkMulti near the "
        f"crash: frame 1 in {SESSION}, frame 3 in {SECOND} (within the top 5 frames of each crash "
        "stack, counted from where the crash begins)"
    )
    assert (module.level, module.reports, module.shared) == ("module", [SESSION, SECOND], ["fltmgr"])
    assert module.why.startswith(
        f"{SESSION} and {SECOND} have different stacks but both crash in fltmgr code: "
        "fltmgr!TreeUnlinkMulti, "
    )


def test_same_crash_area_is_not_a_link() -> None:
    stack = ["d!a", "d!b", "d!c", "d!d", "d!e"]  # the crash area: what lies deeper does not count
    assert paths.same_area(correlation([record("r1", stack), record("r2", [*stack, "e!deep"])])) == []


def test_functions_with_the_same_reports_form_one_link() -> None:
    result = correlation([record("r1", ["d!a", "d!b", "x!one"]), record("r2", ["y!two", "d!a", "d!b"])])
    function, module = paths.same_area(result)
    # idf 1 for both; d!a at frames 1 and 2: (1 + 1/2) / 2; d!b at 2 and 3: (1/2 + 1/3) / 2
    assert (function.level, function.reports, function.shared) == ("function", ["r1", "r2"], ["d!a", "d!b"])
    assert (module.level, module.shared) == ("module", ["d"])


def test_links_are_not_transitive() -> None:
    result = correlation(
        [
            record("r1", ["d!a", "e!b"]),
            record("r2", ["d!a", "f!c"]),
            record("r3", ["g!z", "f!c"]),
        ]
    )
    links = {(s.level, tuple(s.reports), tuple(s.shared)) for s in paths.same_area(result)}
    assert links == {
        ("function", ("r1", "r2"), ("d!a",)),
        ("function", ("r2", "r3"), ("f!c",)),
        ("module", ("r1", "r2"), ("d",)),
        ("module", ("r2", "r3"), ("f",)),
    }


def test_general_functions_and_generic_modules_are_not_links() -> None:
    result = correlation(
        [
            record("r1", ["nt!ExFreePoolWithTag", "nt!IopA", "x!one"]),
            record("r2", ["nt!ExFreePoolWithTag", "nt!IopB", "y!two"]),
        ]
    )
    assert paths.same_area(result) == []


def test_ubiquitous_functions_are_not_links() -> None:
    n = paths.UBIQUITOUS_MIN + 5
    records = [record(f"r{i:02d}", ["common!top", f"own{i}!f"]) for i in range(n)]
    records += [record("pair1", ["rare!f", "p!one"]), record("pair2", ["rare!f", "q!two"])]
    links = paths.same_area(correlation(records))
    assert [(s.level, s.reports, s.shared) for s in links] == [
        ("function", ["pair1", "pair2"], ["rare!f"]),
        ("module", ["pair1", "pair2"], ["rare"]),
    ]


def test_crash_area_skips_unknown_frames() -> None:
    assert paths.crash_area(["?", "a!1", "?", "a!2", "a!3", "a!4", "a!5", "a!6"]) == [
        "a!1",
        "a!2",
        "a!3",
        "a!4",
        "a!5",
    ]
