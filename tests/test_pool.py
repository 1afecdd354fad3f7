"""`!pool` parser: real output from the corpus, checked by hand, and the forms !pool prints."""

from __future__ import annotations

from conftest import SHARED_CORPUS, corpus_inputs
from hypothesis import given
from hypothesis import strategies as st

from crashsift.model import Line
from crashsift.parsers import pool
from crashsift.parsers.pool import PoolDataRow, PoolRecord, parse
from crashsift.repair import repair
from crashsift.segment import segment


def _block(text: str, first: int) -> list[Line]:
    """Output lines of a snippet numbered from `first`, blank lines dropped as segmentation does."""
    return [Line(first + i, t) for i, t in enumerate(text.split("\n")) if t.strip()]


SEED_RCX = (  # seed/fltmgr-0x3b-session.txt lines 116-125 (`!pool @rcx`)
    "Pool page fffffa8008e13318 region is Nonpaged pool\n"
    " fffffa8008e13000 size:  150 previous size:    0  (Allocated)  File (Protected)\n"
    " fffffa8008e13150 size:   30 previous size:  150  (Allocated)  Io  \n"
    " fffffa8008e13180 size:   50 previous size:   30  (Allocated)  VadS\n"
    " fffffa8008e131d0 size:   80 previous size:   50  (Allocated)  MmSd\n"
    " fffffa8008e13250 size:   20 previous size:   80  (Free)       Io  \n"
    "*fffffa8008e13270 size:   c0 previous size:   20  (Allocated) *FMsl\n"
    "\t\tPooltag FMsl : STREAM_LIST_CTRL structure, Binary : fltmgr.sys\n"
    " fffffa8008e13330 size:  150 previous size:   c0  (Allocated)  File (Protected)\n"
    " fffffa8008e13480 size:   e0 previous size:  150  (Allocated)  NV  "
)


def test_seed_page_header_and_entries() -> None:
    parsed = parse(_block(SEED_RCX, 116))
    rec = parsed.record
    assert parsed.diagnostics == []
    assert (rec.address, rec.region, rec.errors) == ("0xfffffa8008e13318", "Nonpaged pool", [])
    assert [e.line for e in rec.entries] == [117, 118, 119, 120, 121, 122, 124, 125]
    first = rec.entries[0]
    assert (first.address, first.size, first.previous_size) == ("0xfffffa8008e13000", "0x150", "0x0")
    assert (first.state, first.tag, first.protected, first.highlighted) == ("Allocated", "File", True, False)
    assert [(e.tag, e.state) for e in rec.entries[1:5]] == [
        ("Io", "Allocated"), ("VadS", "Allocated"), ("MmSd", "Allocated"), ("Io", "Free")
    ]  # fmt: skip
    assert rec.entries[-1].tag == "NV"


def test_seed_highlighted_entry_and_its_tag_description() -> None:
    rec = parse(_block(SEED_RCX, 116)).record
    assert [e.highlighted for e in rec.entries].count(True) == 1
    hit = rec.entries[5]
    assert (hit.address, hit.size, hit.previous_size) == ("0xfffffa8008e13270", "0xc0", "0x20")
    assert (hit.tag, hit.highlighted, hit.protected, hit.process) == ("FMsl", True, False, None)
    assert (hit.tag_description, hit.binary) == ("STREAM_LIST_CTRL structure", "fltmgr.sys")
    assert rec.entries[4].tag_description is None


def test_seed_odd_tag_characters() -> None:
    # seed/fltmgr-0x3b-session.txt lines 184, 186, 190 (`!pool 0xfffff8a0`0d106d58`)
    lines = [
        Line(184, " fffff8a00d106270 size:   10 previous size:  140  (Free)       .tFs"),
        Line(186, " fffff8a00d1062c0 size:  110 previous size:   40  (Allocated)  ;oNm"),
        Line(190, " fffff8a00d106a70 size:  180 previous size:   40  (Allocated)  {Mfn"),
    ]
    assert [(e.tag, e.state, e.size, e.line) for e in parse(lines).record.entries] == [
        (".tFs", "Free", "0x10", 184),
        (";oNm", "Allocated", "0x110", 186),
        ("{Mfn", "Allocated", "0x180", 190),
    ]


def test_free_block_with_quote_in_tag() -> None:
    # code/066.txt lines 334-337 (Windows 10: previous size 0 everywhere)
    text = (
        "Pool page ffffe2809abee000 region is Paged pool\n"
        "*ffffe2809abee000 size:  880 previous size:    0  (Allocated) *MmSt\n"
        "\t\tPooltag MmSt : Mm section object prototype ptes, Binary : nt!mm\n"
        ' ffffe2809abee880 size:  760 previous size:    0  (Free)       .r."'
    )
    parsed = parse(_block(text, 334))
    hit, free = parsed.record.entries
    assert (hit.tag, hit.highlighted, hit.tag_description, hit.binary) == (
        "MmSt", True, "Mm section object prototype ptes", "nt!mm"
    )  # fmt: skip
    assert (free.address, free.size, free.state, free.tag, free.line) == (
        "0xffffe2809abee880", "0x760", "Free", '.r."', 337
    )  # fmt: skip
    assert parsed.diagnostics == []


def test_owning_component_line() -> None:
    # code/112.txt lines 65-69 (tab-indented `Owning component`, byte-swapped tag `tvEm`)
    text = (
        "Pool page ffffac883ca17920 region is Nonpaged pool\n"
        " ffffac883ca17000 size:  900 previous size:    0  (Allocated)  PFXM\n"
        "*ffffac883ca17910 size:  600 previous size:    0  (Allocated) *tvEm\n"
        "\t\tOwning component : Unknown (update pooltag.txt)\n"
        " ffffac883ca17f10 size:   d0 previous size:    0  (Free)       2.3."
    )
    rec = parse(_block(text, 65)).record
    assert rec.address == "0xffffac883ca17920"
    hit = rec.entries[1]
    assert (hit.tag, hit.size, hit.highlighted) == ("tvEm", "0x600", True)
    assert (hit.owning_component, hit.tag_description) == ("Unknown (update pooltag.txt)", None)
    assert (rec.entries[2].tag, rec.entries[2].size) == ("2.3.", "0xd0")


def test_large_page_allocation() -> None:
    # code/113.txt lines 34-36 (`!pool rdx`)
    text = (
        "Pool page ffffc986cb6f2000 region is Nonpaged pool\n"
        "*ffffc986cb6f2000 : large page allocation, tag is V2lg, size is 0x4000 bytes\n"
        "        Pooltag V2lg : VHD2 core large allocation, Binary : vhdmp.sys"
    )
    rec = parse(_block(text, 34)).record
    [big] = rec.entries
    assert (big.kind, big.address, big.line) == ("large", "0xffffc986cb6f2000", 35)
    assert (big.size, big.previous_size) == ("0x4000", None)
    assert (big.tag, big.state, big.highlighted) == ("V2lg", "Allocated", True)
    assert (big.tag_description, big.binary) == ("VHD2 core large allocation", "vhdmp.sys")


def test_errors_instead_of_entries() -> None:
    # code/074.txt lines 334-338
    text = (
        "Pool page fffff803712e5000 region is Unknown\n"
        "fffff803712e5000 is not a valid large pool allocation, checking large session pool...\n"
        "Unable to read large session pool table"
        " (Session data is not present in mini and kernel-only dumps)\n"
        "fffff803712e5000 is not valid pool. Checking for freed (or corrupt) pool\n"
        "Address fffff803712e5000 could not be read. It may be a freed, invalid or paged out page"
    )
    parsed = parse(_block(text, 334))
    assert (parsed.record.address, parsed.record.region) == ("0xfffff803712e5000", "Unknown")
    assert parsed.record.entries == []
    assert parsed.record.errors == text.split("\n")[1:]
    assert parsed.diagnostics == []


def test_heap_key_error() -> None:
    # issues/123.txt line 6 (`!pool @rax`)
    parsed = parse([Line(6, "Failed to read heap key")])
    assert parsed.record == PoolRecord(errors=["Failed to read heap key"])
    assert parsed.diagnostics == []


def test_old_x86_contents_and_elisions() -> None:
    # code/050.txt lines 12-28 (`!pool e1001050 1`, shortened to two entries); no `Pool page` header
    text = (
        " e1001000 size:   40 previous size:    0  (Allocated)  MmDT\n"
        " e1001008  ffffffff 0057005c 004e0049 004f0044\n"
        "    e1001018  ffffffff 0053005c 00730079 00650074\n"
        "\n"
        " e1001040 size:   10 previous size:   40  (Free)       Mm  \n"
        " e1001048  ffffffff e1007ba8 e1501a58 01028101\n"
        "    e1001058  ffffffff 00000000 e1000240 01028101\n"
        "\n"
        "......"
    )
    parsed = parse(_block(text, 12))
    rec = parsed.record
    assert (rec.address, rec.region) == (None, None)
    first, second = rec.entries
    assert (first.address, first.size, first.tag, first.line) == ("0xe1001000", "0x40", "MmDT", 12)
    assert first.contents == [
        PoolDataRow("0xe1001008", ["0xffffffff", "0x57005c", "0x4e0049", "0x4f0044"], 13),
        PoolDataRow("0xe1001018", ["0xffffffff", "0x53005c", "0x730079", "0x650074"], 14),
    ]
    assert (second.state, second.tag, second.line) == ("Free", "Mm", 16)
    assert [row.line for row in second.contents] == [17, 18]
    assert second.contents[0].values[1] == "0xe1007ba8"
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(20, "not a !pool line: ......")]


def test_protected_process_and_lookaside_forms() -> None:
    # forms of kdexts' entry line: ` (Protected)` and ` Process: <eprocess>` after the tag,
    # `(Free )` for a block on a lookaside list, a blank inside a tag, blanks collapsed by a paste
    text = (
        "*85fa2000 size:  280 previous size:    0  (Allocated) *Proc (Protected)\n"
        " ffffe0003a9ff000 size:   b0 previous size:    0  (Allocated)  Vi15 Process: ffffe00038abc080\n"
        " ffffe0003a9ff0b0 size:   b0 previous size:   b0  (Free )      I o \n"
        " ffffe0003a9ff160 size: b0 previous size: b0 (Allocated) Io (Protected) Process: ffffe00038abc080"
    )
    parsed = parse(_block(text, 1))
    proc, quota, lookaside, collapsed = parsed.record.entries
    assert (proc.tag, proc.protected, proc.highlighted, proc.process) == ("Proc", True, True, None)
    assert (quota.tag, quota.protected, quota.process) == ("Vi15", False, "0xffffe00038abc080")
    assert (lookaside.state, lookaside.tag) == ("Free", "I o")
    assert (collapsed.tag, collapsed.protected, collapsed.process) == ("Io", True, "0xffffe00038abc080")
    assert parsed.diagnostics == []


def test_special_pool_free_large_and_owner() -> None:
    text = (
        "Pool page fffff901400d0000 region is Special pool\n"
        "*fffff901400d0000 : free  large page allocation, Tag is Gh05, size is 0x1090 bytes\n"
        "*ffff9e0c1a2b3c40 size:  f30 non-paged special pool, Tag is Ddk \n"
        "\t\tPooltag Ddk  : Default for driver allocated memory, Binary : user, Owner : Kernel"
    )
    rec = parse(_block(text, 1)).record
    large, special = rec.entries
    assert (large.kind, large.state, large.tag, large.size) == ("large", "Free", "Gh05", "0x1090")
    assert (special.kind, special.size, special.tag, special.highlighted) == ("special", "0xf30", "Ddk", True)
    assert (special.tag_description, special.binary, special.owner) == (
        "Default for driver allocated memory", "user", "Kernel"
    )  # fmt: skip


def test_corruption_diagnosis_goes_to_errors() -> None:
    text = (
        " ffffad09df3f88b0 size:  190 previous size:    0  (Allocated)  NpAt\n"
        "ffffad09df3f8bd0 doesn't look like a valid small pool allocation, checking to see\n"
        "if the entire page is actually part of a large page allocation...\n"
        "Bad previous allocation size @ffffad09df3f8bd0, last size was 19\n"
        "*** An error (or corruption) in the pool was detected;\n"
        "Pool page [ ffffad09df3f8000 ] is INVALID.\n"
        "[ ffffad09df3f8a40 --> ffffad09df3f8bd0 (size = 0x190 bytes)]: Corrupt region\n"
        "None found"
    )
    parsed = parse(_block(text, 1))
    assert len(parsed.record.entries) == 1
    assert parsed.record.errors == text.split("\n")[1:]
    assert parsed.diagnostics == []


def test_second_header_and_orphan_lines_are_diagnostics() -> None:
    text = (
        "\t\tPooltag FMsl : STREAM_LIST_CTRL structure, Binary : fltmgr.sys\n"
        "Pool page fffffa8008e13318 region is Nonpaged pool\n"
        "Pool page fffff8a00d106d58 region is Paged pool"
    )
    parsed = parse(_block(text, 1))
    assert (parsed.record.address, parsed.record.region) == ("0xfffffa8008e13318", "Nonpaged pool")
    assert [d.line for d in parsed.diagnostics] == [1, 3]


def test_empty_input() -> None:
    parsed = parse([])
    assert parsed.record == PoolRecord()
    assert parsed.diagnostics == []


def test_garbage_input() -> None:
    lines = [Line(3, "this is not pool output"), Line(4, "size: previous size:"), Line(5, "*")]
    parsed = parse(lines)
    assert parsed.record == PoolRecord()
    assert [d.line for d in parsed.diagnostics] == [3, 4, 5]


@given(st.lists(st.text(max_size=120), max_size=8))
def test_parse_never_raises(texts: list[str]) -> None:
    parsed = parse([Line(i + 1, t) for i, t in enumerate(texts)])
    assert isinstance(parsed.record, PoolRecord)


def test_a_block_reads_as_its_lines_read_alone() -> None:
    """One lark call per block (split where it fails) reads every line as a call per line does,
    on every !pool block of the corpus plus refused and newline-holding lines."""
    texts = [
        ln.text.strip()
        for path in corpus_inputs()
        for seg in segment(repair(path.read_text(encoding="utf-8", errors="replace")).lines)
        if seg.kind == "pool"
        for ln in seg.lines
        if ln.text.strip()
    ]
    assert len(texts) > 50
    texts[3:3] = [".....", "Pool page x\nregion is y", "*fffffa8008e13270 size:"]
    assert pool._read(texts) == [item for text in texts for item in pool._read_grammar([text])]
    assert pool._read_grammar(texts) == [item for text in texts for item in pool._read_grammar([text])]
    assert pool._read(texts)[3:6] == [None, None, None]


ENTRY_EDGES = [
    "*fffffa8008e13270 size:   c0 previous size:   20  (Allocated) *FMsl",
    "* fffffa8008e13270 size: c0 previous size: 20 (Free )  Io",
    "0xfffffa80 size: c0 previous size: 20 (Allocated) File",
    "0xsize: c0 previous size: 20 (Allocated) File",
    "ffff`0000 size: c0 previous size: 20 (Allocated) File",
    "ffff`size: c0 previous size: 20 (Allocated) File",
    "fffffa8008e13270size:c0previous size:20(Allocated)File",
    "fffffa8008e13270 size:\xa0c0 previous\xa0size:\x0b20 (Allocated) File",
    "fffffa8008e13270\xa0size: c0 previous size: 20 (Allocated) File",
    "fffffa8008e13270 size: c0 previous size: 20 (Allocated)",
    "fffffa8008e13270 size: c0 previous size: 20 (Allocated) \xa0",
    "fffffa8008e13270 size: c0 previous size: 20 (Allocated)  File (Protected) Process: fffffa80`0a1b2c3d",
    "fffffa8008e13270 size: c0 previous size: 20 (Allocated) *ab Process: ffff8009`12345678",
    "fffffa8008e13270 size: c0 previous size: 20 (Allocated) toolong tag",
    "Bad size: c0 previous size: 20 (Allocated) File",
    "Bad allocation size @fffffa8008e13270, too large",
    "**fffffa8008e13270 size: c0 previous size: 20 (Allocated) File",
    "*** fffffa8008e13270 size: c0 previous size: 20 (Allocated) File",
    "fffffa8008e13270 size: c0g previous size: 20 (Allocated) File",
    "fffffa8008e13270 size: c0 previous size: 20 (Busy) File",
    "fffffa8008e13270 size: c0 non-paged special pool, Tag is Ddk",
    "fffffa8008e13270 12345678 size: c0 previous size: 20 (Allocated) File",
    "fffffa8008e13270 is not a valid small pool allocation, size: c0 previous size: 20 (Allocated) x",
]


def test_entry_lines_read_without_lark_as_lark_reads_them() -> None:
    """`_ENTRY` reads an entry line into what the grammar reads from it, and takes no line the
    grammar reads otherwise: every line of the bundled and shared corpus, and edge cases."""
    paths = [*corpus_inputs(), *sorted(SHARED_CORPUS.rglob("*.txt"))]
    texts = {
        text
        for path in paths
        for ln in repair(path.read_text(encoding="utf-8", errors="replace")).lines
        if (text := ln.text.strip())
    }
    texts.update(ENTRY_EDGES)
    assert sum(1 for text in texts if pool._ENTRY.fullmatch(text)) > 40
    for text in sorted(texts):
        assert pool._read([text]) == pool._read_grammar([text]), text


_ENTRY_PIECES = st.sampled_from(
    ["*", " ", "\t", "\xa0", "0x", "ffff", "`", "0a1b", "size:", "previous", " size: ", "c0", "(Allocated)",
     "(Free )", "(Free)", "File", "(Protected)", "Process:", "is not a valid", ":", "g", "Io  x"]
)  # fmt: skip


_ENTRY_LIKE = st.tuples(
    st.sampled_from(["", "*", "* ", "**"]),
    st.sampled_from(["fffffa8008e13270", "0xe1001008", "0x", "ffff`0a1b", "ffff`", "Bad", "fff fff"]),
    st.sampled_from([" size:   c0 ", "size:c0", " size: c0g ", " size:\xa0c0 ", "\xa0size: c0 ", " size: "]),
    st.sampled_from(
        ["previous size:   20  ", "previous\xa0size:20", "previous size: ", "non-paged special pool, "]
    ),
    st.sampled_from(["(Allocated)", "(Free )", "(Free)", "(Busy)", ""]),
    st.sampled_from(
        [" *FMsl", "  File (Protected)", " Io   Process: ffff8009`12345678", "x", "", " toolong"]
    ),
).map("".join)


@given(st.one_of(_ENTRY_LIKE, st.lists(_ENTRY_PIECES, min_size=1, max_size=14).map("".join)))
def test_generated_entry_like_lines_read_as_lark_reads_them(line: str) -> None:
    text = line.strip()
    if text:
        assert pool._read([text]) == pool._read_grammar([text])


_ROW_PIECES = st.sampled_from(
    ["Pool page", "Pool\xa0page", "fffffa8008e13318", "0x", "`", "region is", "region  is", "Nonpaged pool",
     "Pooltag", "FMsl", "Fm", ":", " : ", "STREAM_LIST_CTRL structure, Binary : fltmgr.sys", "Owning",
     " component", "Unknown", "e1001008", "ffffffff 0057005c", "Unable to read", "is not a valid", " ", "  ",
     "\t", "x", "["]
)  # fmt: skip


@given(st.lists(_ROW_PIECES, min_size=1, max_size=7).map("".join))
def test_generated_page_tag_and_one_token_lines_read_as_lark_reads_them(line: str) -> None:
    # `_row_item` reads these lines without the grammar
    text = line.strip()
    if text:
        assert pool._read([text]) == pool._read_grammar([text]), text
