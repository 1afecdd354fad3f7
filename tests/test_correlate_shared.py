"""Shared attributes, Fisher contrasts and the DataFrames / CSV of a correlation.

The seed pair is `corpus/seed/fltmgr-0x3b-session.txt` (the 0x3B session: STACK_TEXT topped by
`fltmgr!TreeUnlinkMulti+0x51`, `!pool` on FMsl and FMfn blocks, `dt` of five types) and
`corpus/seed/fltmgr-second-crash-k.txt` (a bare `k`: KeBugCheckEx, cold code, KiPageFault,
RtlDeleteNoSplay, TreeUnlinkNoBalance, then `fltmgr!TreeUnlinkMulti+0x148` as frame 5).
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import CORPUS
from scipy.stats import fisher_exact

from crashsift.correlate import shared as sh
from crashsift.correlate import tables
from crashsift.correlate.engine import Bucket, Correlation, correlate
from crashsift.correlate.normalize import NormFrame
from crashsift.correlate.records import CrashRecord
from crashsift.correlate.signature import Signature
from crashsift.pipeline import parse_file

SESSION = CORPUS / "seed" / "fltmgr-0x3b-session.txt"
SECOND = CORPUS / "seed" / "fltmgr-second-crash-k.txt"
ARTICLE = CORPUS / "seed" / "case-study-article.txt"


@pytest.fixture(scope="module")
def pair() -> Correlation:
    return correlate([*parse_file(SESSION), *parse_file(SECOND)])


def _ids(result: Correlation) -> tuple[str, str]:
    session, second = result.records
    assert session.path == str(SESSION)
    return session.id, second.id


def test_seed_pair_shares_the_fltmgr_tree_code(pair: Correlation) -> None:
    session, second = _ids(pair)
    both = sorted([session, second])
    found = {(s.kind, s.value): s.reports for s in pair.shared}
    # Read off the two files: both stacks run fltmgr!TreeUnlinkMulti (top frame of the session,
    # third once the second crash's trap frames are gone), both show fltmgr and nt frames; the
    # second crash's k shows no bug check code, the session's 0x3B is its alone.
    assert found == {
        ("function", "fltmgr!TreeUnlinkMulti"): both,
        ("module", "fltmgr"): both,
        ("module", "nt"): both,
    }
    # Ranked: same number of reports, so function before module, then by value.
    assert [(s.kind, s.value) for s in pair.shared] == [
        ("function", "fltmgr!TreeUnlinkMulti"),
        ("module", "fltmgr"),
        ("module", "nt"),
    ]


def test_pool_tags_and_types_come_only_from_the_session(pair: Correlation) -> None:
    session, second = _ids(pair)
    attrs = sh.attributes(pair)
    assert {v for k, v in attrs[session] if k == "pool_tag"} == {"FMsl", "FMfn"}
    assert {v for k, v in attrs[session] if k == "type"} == {
        "_POOL_HEADER",
        "_STREAM_LIST_CTRL",
        "_TREE_ROOT",
        "_NAME_CACHE_LIST_CTRL",
        "_NAME_CACHE_NODE",
    }
    assert not {k for k, _ in attrs[second]} & {"pool_tag", "type", "bugcheck", "exception"}
    assert ("bugcheck", "0x3b") in attrs[session]
    assert ("exception", "0xc0000005") in attrs[session]


def test_crash_area_is_the_top_of_the_signature_stack(pair: Correlation) -> None:
    _, second = _ids(pair)
    functions = sorted(v for k, v in sh.attributes(pair)[second] if k == "function")
    # Sentinel and skip leave RtlDeleteNoSplay on top; five frames down is PurgeStreamNameCache.
    assert functions == [
        "fltmgr!DeleteNameCacheNodes",
        "fltmgr!PurgeStreamNameCache",
        "fltmgr!TreeUnlinkMulti",
        "fltmgr!TreeUnlinkNoBalance",
        "nt!RtlDeleteNoSplay",
    ]
    assert sh.crash_area(["?", "nt!<cold>", "kernelbase", "a!f", "b!g", "c!h"]) == ["a!f", "b!g"]


def test_the_article_repeats_the_session_pool_tags() -> None:
    result = correlate([*parse_file(ARTICLE), *parse_file(SESSION), *parse_file(SECOND)])
    found = {(s.kind, s.value): s.reports for s in result.shared}
    article_session = sorted(r.id for r in result.records if r.start_line == 1 and r.bugcheck == "0x3b")
    assert len(article_session) == 2
    assert found[("pool_tag", "FMsl")] == article_session
    assert found[("type", "_NAME_CACHE_NODE")] == article_session
    assert len(found[("function", "fltmgr!TreeUnlinkMulti")]) == 4
    # Four reports in two buckets of two: the best table is 2 of 2 against 2 of 4, p = 1/C(4,2) = 1/6.
    assert result.contrasts == []


def _record(rid: str, **attrs: set[str]) -> CrashRecord:
    return CrashRecord(
        id=rid,
        path=None,
        start_line=1,
        mode="kernel",
        arch="x64",
        bugcheck=None,
        exception=None,
        frames=[NormFrame("acme", "Foo")],
        **attrs,
    )


def _hand_made() -> Correlation:
    """Twelve reports r0..r11; bucket A = r0..r3, bucket B = r4, r5; every report has module nt.

    - pool tag Tag1 in r0..r3 only;
    - exception 0xc0000005 in r0, r1, r2 only;
    - driver acme in r0, r1, r2 and r4;
    - type _FOO in r0, r1, r4, r5, r6, r7.
    """
    ids = [f"r{i}" for i in range(12)]
    records = [_record(rid, modules={"nt"}) for rid in ids]
    for i in range(4):
        records[i].pool_tags.add("Tag1")
    for i in (0, 1, 2):
        records[i].exception = "0xc0000005"
    for i in (0, 1, 4, 5, 6, 7):
        records[i].types.add("_FOO")
    sigs = {
        rid: Signature("acme!Foo", ["acme!Foo"], "acme" if i in (0, 1, 2, 4) else None)
        for i, rid in enumerate(ids)
    }
    buckets = [Bucket("A", "acme!Foo", ids[:4]), Bucket("B", "acme!Foo", ids[4:6])]
    return Correlation(records, sigs, buckets=buckets)


# One-sided Fisher p = P(X >= in_bucket), X ~ hypergeometric(N=12, K=in_all, n=bucket size).
# Bucket A (n = 4), C(12,4) = 495 ways to draw it:
#   Tag1       4 of 4, K=4: C(4,4)/495                                 = 1/495   = 0.00202
#   0xc0000005 3 of 4, K=3: C(3,3)C(9,1)/495                           = 9/495   = 0.0182
#   acme       3 of 4, K=4: (C(4,3)C(8,1) + C(4,4))/495 = 33/495       = 1/15    = 0.0667
#   _FOO       2 of 4, K=6: share 2/4 against 4/8 in the rest: no effect, not tested
#   nt         4 of 4, K=12: no effect
# Bucket B (n = 2), C(12,2) = 66: _FOO 2 of 2, K=6: C(6,2)/66 = 15/66 = 0.227.
# Functions are never tested (the stacks made the buckets).
#
# The Benjamini-Hochberg family (Tarone): every (bucket, attribute) pair whose best case, all
# members or all holders showing it, has p < 0.05, whatever the counts turned out to be:
#   A (n=4): K=4 best C(4,4)/495 = 0.002 (Tag1, acme), K=3 best 9/495 = 0.018 (the exception),
#            K=6 best C(6,4)/495 = 0.030 (_FOO), K=12 best 1 (no)                -> 4
#   B (n=2): K=3 best C(3,2)/66 = 0.045 (yes); K=4 6/66, K=6 15/66, K=12 1 (no)    -> 1
# m = 5: Tag1 q = 5 x 1/495 = 0.010, the exception q = 5/2 x 9/495 = 0.045 (both kept), acme
# fails on its own p.


def test_fisher_contrasts_on_a_hand_made_set() -> None:
    result = _hand_made()
    assert sh.testable(result, _counts(result), 12) == 5
    found = sh.contrasts(result)
    assert [(c.bucket, c.kind, c.value, c.in_bucket, c.bucket_size, c.in_all, c.total) for c in found] == [
        ("A", "pool_tag", "Tag1", 4, 4, 4, 12),
        ("A", "exception", "0xc0000005", 3, 4, 3, 12),
    ]
    assert [c.p_value for c in found] == pytest.approx([1 / 495, 9 / 495])


def test_one_more_possible_test_drops_the_weaker_contrast() -> None:
    # Bucket C = r10, r11 shares only nt, but a K=3 attribute could have been 2 of 2 there
    # (best p 3/66 < 0.05): m = 6, the exception's q = 6/2 x 9/495 = 0.055 > 0.05 although its
    # p = 0.018; Tag1's q = 6/495 = 0.012 stays.
    result = _hand_made()
    result.buckets.append(Bucket("C", "acme!Foo", ["r10", "r11"]))
    assert sh.testable(result, _counts(result), 12) == 6
    assert [(c.bucket, c.value) for c in sh.contrasts(result)] == [("A", "Tag1")]


def _counts(result: Correlation) -> Counter:
    return Counter(a for found in sh.attributes(result).values() for a in found)


def test_hypergeometric_tail_is_fishers_one_sided_p() -> None:
    cases = [
        (4, 4, 4, 1 / 495),
        (3, 4, 3, 9 / 495),
        (3, 4, 4, 33 / 495),
        (2, 4, 6, 360 / 495),
        (2, 2, 6, 15 / 66),
    ]
    for in_bucket, size, in_all, by_hand in cases:
        table = [[in_bucket, size - in_bucket], [in_all - in_bucket, 12 - size - (in_all - in_bucket)]]
        scipy_p = fisher_exact(table, alternative="greater").pvalue
        ours = sh.fisher_greater(np.array([in_bucket]), np.array([size]), np.array([in_all]), 12)[0]
        assert ours == pytest.approx(scipy_p) == pytest.approx(by_hand)


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted 0.01, 0.03, 0.04, 0.5 scaled by 4/rank: 0.04, 0.06, 0.0533, 0.5; then the running
    # minimum from the largest down: 0.04, 0.0533, 0.0533, 0.5.
    q = sh.benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    # A family of 10 of which two are given: 0.01 x 10/1 = 0.1, 0.03 x 10/2 = 0.15.
    assert sh.benjamini_hochberg(np.array([0.03, 0.01]), 10) == pytest.approx([0.15, 0.1])
    assert sh.benjamini_hochberg(np.array([])).size == 0


def _big(in_bucket: int) -> Correlation:
    """1000 reports; bucket A of 40, `in_bucket` of them with pool tag Big, and 200 of the rest."""
    ids = [f"r{i:04d}" for i in range(1000)]
    records = [_record(rid) for rid in ids]
    for i in [*range(in_bucket), *range(40, 240)]:
        records[i].pool_tags.add("Big")
    sigs = {rid: Signature("acme!Foo", ["acme!Foo"]) for rid in ids}
    return Correlation(records, sigs, buckets=[Bucket("A", "acme!Foo", ids[:40])])


def test_effect_size_floor() -> None:
    # 20/40 = 0.5 against 200/960 = 0.208: a gain of 0.292, below the floor of 0.3 although p is
    # tiny; 21/40 = 0.525 gains 0.317 and is kept.
    assert sh.contrasts(_big(20)) == []
    (kept,) = sh.contrasts(_big(21))
    assert (kept.value, kept.in_bucket, kept.in_all) == ("Big", 21, 221)
    assert kept.p_value < 1e-4


def test_random_reports_give_no_contrast_but_a_planted_one() -> None:
    # 2000 reports with random modules and pool tags in random buckets of five: whatever looks
    # over-represented is chance, and the family-wide correction must say so. One bucket whose
    # five reports all carry a tag nobody else has is the one real finding.
    rng = random.Random(5)
    ids = [f"r{i:04d}" for i in range(2000)]
    records = [
        _record(rid, modules={f"m{rng.randrange(60)}" for _ in range(6)}, pool_tags={f"T{rng.randrange(20)}"})
        for rid in ids
    ]
    for rec in records[:5]:
        rec.pool_tags.add("Real")
    sigs = {rid: Signature("acme!Foo", ["acme!Foo"]) for rid in ids}
    buckets = [Bucket(f"B{j:03d}", "acme!Foo", ids[j * 5 : j * 5 + 5]) for j in range(400)]
    found = sh.contrasts(Correlation(records, sigs, buckets=buckets))
    assert [(c.bucket, c.value) for c in found] == [("B000", "Real")]


def test_a_fallback_signature_is_not_its_own_contrast() -> None:
    result = _hand_made()
    for rec in result.records[:4]:
        rec.bugcheck = "0x9f"
    result.buckets[0] = Bucket("A", "bug check 0x9f (no frame)", [r.id for r in result.records[:4]])
    assert ("bugcheck", "0x9f") not in {(c.kind, c.value) for c in sh.contrasts(result)}


def test_reports_frame(pair: Correlation) -> None:
    session, second = _ids(pair)
    frame = tables.reports_frame(pair)
    assert list(frame.columns) == tables.REPORT_COLUMNS
    assert frame.shape == (2, 11)
    bucket_of = {rid: b.id for b in pair.buckets for rid in b.members}
    row = frame.set_index("id").loc[session]
    assert (row["path"], row["start_line"], row["mode"], row["arch"]) == (str(SESSION), 1, "kernel", "x64")
    assert (row.bugcheck, row.exception, row.signature) == ("0x3b", "0xc0000005", "fltmgr!TreeUnlinkMulti")
    assert (row.bucket, row.n_frames) == (bucket_of[session], 12)
    row = frame.set_index("id").loc[second]
    assert pd.isna(row.bugcheck) and pd.isna(row.driver)
    assert row.n_frames == 20  # the k listing's 20 frames, none recursive


def test_frames_frame(pair: Correlation) -> None:
    session, second = _ids(pair)
    frame = tables.frames_frame(pair)
    assert list(frame.columns) == ["report", "position", "key", "module", "function"]
    assert frame.shape == (32, 5)
    top = frame[(frame.report == session) & (frame.position == 0)].iloc[0]
    assert (top.key, top.module, top.function) == ("fltmgr!TreeUnlinkMulti", "fltmgr", "TreeUnlinkMulti")
    fifth = frame[(frame.report == second) & (frame.position == 5)].iloc[0]
    assert fifth.key == "fltmgr!TreeUnlinkMulti"
    cold = frame[(frame.report == second) & (frame.position == 1)].iloc[0]
    assert (cold.key, cold.function) == ("nt!<cold>", "<cold>")


def test_buckets_frame(pair: Correlation) -> None:
    frame = tables.buckets_frame(pair)
    assert list(frame.columns) == ["id", "signature", "size", "members"]
    assert frame["size"].sum() == 2
    assert sorted(";".join(frame.members).split(";")) == sorted(_ids(pair))


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).fillna("")


def test_csv_round_trip(pair: Correlation, tmp_path) -> None:
    folder = tmp_path / "new" / "csv"
    written = tables.write_csv(pair, folder)
    assert [p.name for p in written] == ["reports.csv", "frames.csv", "buckets.csv"]
    for name, frame in [
        ("reports.csv", tables.reports_frame(pair)),
        ("frames.csv", tables.frames_frame(pair)),
        ("buckets.csv", tables.buckets_frame(pair)),
    ]:
        back = pd.read_csv(folder / name)
        # Missing values (no driver, no bug check) come back as NaN: compare them as empty.
        pd.testing.assert_frame_equal(_blank(back), _blank(frame), check_dtype=False)


def test_csv_refuses_a_file_or_a_directory_in_the_way(pair: Correlation, tmp_path) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    with pytest.raises(tables.OutputPathError, match="exists and is not a directory"):
        tables.write_csv(pair, a_file)
    assert a_file.read_text() == "keep me"
    (tmp_path / "out" / "frames.csv").mkdir(parents=True)
    with pytest.raises(tables.OutputPathError, match=r"frames\.csv: is a directory"):
        tables.write_csv(pair, tmp_path / "out")
    assert not (tmp_path / "out" / "reports.csv").exists()


def test_empty_correlation_gives_empty_frames() -> None:
    empty = correlate([])
    assert tables.reports_frame(empty).shape == (0, 11)
    assert tables.frames_frame(empty).shape == (0, 5)
    assert sh.shared(empty) == [] and sh.contrasts(empty) == []
