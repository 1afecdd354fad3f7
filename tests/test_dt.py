"""`dt` / `dx` / `??` output: real snippets (file and lines named), checked by hand."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers import dt
from crashsift.parsers.grammar import load


def lines(text: str, first: int = 1) -> list[Line]:
    """Numbered lines; a blank line keeps its number but is dropped, as segmentation does."""
    return [Line(i, t) for i, t in enumerate(text.split("\n"), first) if t.strip()]


def by_name(fields: list[dt.DtField]) -> dict[str, dt.DtField]:
    return {f.name: f for f in fields}


def test_empty_input() -> None:
    parsed = dt.parse([])
    assert parsed.record == dt.DtRecord()
    assert parsed.diagnostics == []


def test_garbage_lines_become_diagnostics() -> None:
    parsed = dt.parse(lines("hello there\n   +0x000 Foo : [[[ \x00 ]]\n%%%%", 5))
    assert [d.line for d in parsed.diagnostics] == [5, 7]
    assert [f.name for f in parsed.record.fields] == ["Foo"]  # an odd value is kept as a note


def test_layout_bitfields_unions_pointers() -> None:
    # seed/fltmgr-0x3b-session.txt lines 140-148 (dt _POOL_HEADER)
    text = (
        "   +0x000 PreviousSize     : Pos 0, 8 Bits\n"
        "   +0x000 PoolIndex        : Pos 8, 8 Bits\n"
        "   +0x000 BlockSize        : Pos 16, 8 Bits\n"
        "   +0x000 PoolType         : Pos 24, 8 Bits\n"
        "   +0x000 Ulong1           : Uint4B\n"
        "   +0x004 PoolTag          : Uint4B\n"
        "   +0x008 ProcessBilled    : Ptr64 _EPROCESS\n"
        "   +0x008 AllocatorBackTraceIndex : Uint2B\n"
        "   +0x00a PoolTagHash      : Uint2B"
    )
    parsed = dt.parse(lines(text, 140))
    assert parsed.diagnostics == []
    fields = parsed.record.fields
    assert [(f.offset, f.name, f.line) for f in fields][:2] == [
        ("0x0", "PreviousSize", 140),
        ("0x0", "PoolIndex", 141),
    ]
    assert fields[3].bitfield == {"pos": 24, "bits": 8}
    assert fields[3].type is None and fields[3].value is None
    assert [f.union for f in fields] == [False, True, True, True, True, False, False, True, False]
    assert (fields[4].type, fields[4].bitfield) == ("Uint4B", None)
    assert (fields[6].type, fields[6].pointer_type) == ("Ptr64 _EPROCESS", "_EPROCESS")
    assert fields[8].offset == "0xa"
    assert all(f.children == [] for f in fields)


def test_instance_values_lists_and_notes() -> None:
    # seed/fltmgr-0x3b-session.txt lines 151-160 (dt fltmgr!_STREAM_LIST_CTRL …)
    text = (
        "   +0x000 Type             : _FLT_TYPE\n"
        "   +0x030 VolumeLink       : _LIST_ENTRY [ 0xfffffa80`07043c60 - 0xfffffa80`08e03390 ]\n"
        "   +0x040 Flags            : 0x211 (No matching name)\n"
        "   +0x044 UseCount         : 4\n"
        "   +0x068 LastRenameCompleted : _LARGE_INTEGER 0x0"
    )
    f = by_name(dt.parse(lines(text, 151)).record.fields)
    assert (f["Type"].type, f["Type"].value) == ("_FLT_TYPE", None)
    assert f["VolumeLink"].type == "_LIST_ENTRY"
    assert f["VolumeLink"].list_entry == ["0xfffffa8007043c60", "0xfffffa8008e03390"]
    assert (f["Flags"].value, f["Flags"].number, f["Flags"].notes) == (
        "0x211",
        "0x211",
        ["(No matching name)"],
    )
    assert (f["UseCount"].value, f["UseCount"].number) == ("4", "0x4")
    assert (f["LastRenameCompleted"].type, f["LastRenameCompleted"].number) == ("_LARGE_INTEGER", "0x0")
    assert f["Flags"].text == "0x211 (No matching name)"


def test_three_levels_strings_read_errors_null() -> None:
    # seed/fltmgr-0x3b-session.txt lines 211-217 and 227-242 (dt fltmgr!_NAME_CACHE_NODE … /b)
    text = (
        "   +0x010 CreationTime     : _LARGE_INTEGER 0x3f`00067e77\n"
        "      +0x000 LowPart          : 0x67e77\n"
        "      +0x004 HighPart         : 63\n"
        "      +0x000 u                : \n"
        "         +0x000 LowPart          : 0x67e77\n"
        "         +0x004 HighPart         : 63\n"
        "      +0x000 QuadPart         : 270583365239\n"
        + "\n"
        * 9
        + "   +0x050 NameInfo         : _FLT_FILE_NAME_INFORMATION\n"
        "      +0x000 Size             : 0x78\n"
        "      +0x002 NamesParsed      : 0\n"
        "      +0x004 Format           : 2\n"
        '      +0x008 Name             : _UNICODE_STRING "\\Device\\HarddiskVolume2\\UsIrs\\???"\n'
        "         +0x000 Length           : 0xa4\n"
        "         +0x002 MaximumLength    : 0xa6\n"
        '         +0x008 Buffer           : 0xfffff8a0`0d106e10  "\\Device\\HarddiskVolume2\\UsIrs\\???"\n'
        '      +0x018 Volume           : _UNICODE_STRING "\\Device\\HarddiskVolume2"\n'
        "         +0x000 Length           : 0x2e\n"
        "         +0x002 MaximumLength    : 0x2e\n"
        '         +0x008 Buffer           : 0xfffff8a0`0d106e10  "\\Device\\HarddiskVolume2"\n'
        "      +0x028 Share            : _UNICODE_STRING "
        '"--- memory read error at address 0x000000e8`00000000 ---"\n'
        "         +0x000 Length           : 0\n"
        "         +0x002 MaximumLength    : 0\n"
        "         +0x008 Buffer           : 0x000000e8`00000000  "
        '"--- memory read error at address 0x000000e8`00000000 ---"'
    )
    parsed = dt.parse(lines(text, 211))
    assert parsed.diagnostics == []
    creation, name_info = parsed.record.fields
    assert (creation.line, creation.number) == (211, "0x3f00067e77")
    assert [c.name for c in creation.children] == ["LowPart", "HighPart", "u", "QuadPart"]
    u = creation.children[2]
    assert (u.line, u.text, u.value, u.union) == (214, None, None, True)
    assert [(c.name, c.number) for c in u.children] == [("LowPart", "0x67e77"), ("HighPart", "0x3f")]
    assert creation.children[3].number == "0x3f00067e77"
    assert name_info.line == 227
    name, volume, share = name_info.children[3:]
    assert name.string == "\\Device\\HarddiskVolume2\\UsIrs\\???"
    assert [c.name for c in name.children] == ["Length", "MaximumLength", "Buffer"]
    assert (name.children[2].number, name.children[2].string) == ("0xfffff8a00d106e10", name.string)
    assert volume.children[0].number == "0x2e"
    assert (share.string, share.read_error_address) == (None, "0xe800000000")
    assert share.children[2].read_error_address == "0xe800000000"
    assert share.children[2].line == 242


def test_null_and_pointer_values() -> None:
    # seed/fltmgr-0x3b-session.txt lines 200 and 225
    (instance,) = dt.parse(
        [Line(200, "   +0x008 ProvidingInstance : 0x00000081`00000000 _FLT_INSTANCE")]
    ).record.fields
    (key2,) = dt.parse([Line(225, "      +0x028 Key2             : (null) ")]).record.fields
    assert (instance.number, instance.pointer_type, instance.type) == ("0x8100000000", "_FLT_INSTANCE", None)
    assert (key2.line, key2.value, key2.number, key2.pointer_type) == (225, "(null)", "0x0", None)


def test_array_and_recursion() -> None:
    # code/067 lines 348-353 (dt nt!_RTL_BALANCED_NODE … -r1)
    text = (
        "   +0x000 Children         : [2] (null) \n"
        "   +0x000 Left             : (null) \n"
        "   +0x008 Right            : 0xffff8005`fed09f78 _RTL_BALANCED_NODE\n"
        "      +0x000 Children         : [2] 0x41414141`41414141 _RTL_BALANCED_NODE\n"
        "      +0x010 Red              : 0y1\n"
        "      +0x010 Balance          : 0y01"
    )
    children, left, right = dt.parse(lines(text, 348)).record.fields
    assert (children.array, children.value) == ({"count": 2, "element_type": None}, "(null)")
    assert left.union
    assert right.pointer_type == "_RTL_BALANCED_NODE"
    inner = right.children
    assert (inner[0].array["count"], inner[0].number, inner[0].pointer_type) == (
        2,
        "0x4141414141414141",
        "_RTL_BALANCED_NODE",
    )
    assert (inner[2].value, inner[2].number, inner[2].bitfield) == ("0y01", "0x1", {"pos": None, "bits": 2})


def test_layout_arrays_and_type_header() -> None:
    # code/042 lines 44-46 and 55 (dt _TEB, x86)
    text = (
        "ntdll!_TEB\n"
        "   +0x000 NtTib            : _NT_TIB\n"
        "   +0x01c EnvironmentPointer : Ptr32 Void\n" + "\n" * 8 + "   +0x044 User32Reserved   : [26] Uint4B"
    )
    record = dt.parse(lines(text, 44)).record
    assert record.type_name == "ntdll!_TEB"
    assert record.fields[1].pointer_type == "Void"
    reserved = record.fields[2]
    assert (reserved.line, reserved.type, reserved.array) == (
        55,
        "[26] Uint4B",
        {"count": 26, "element_type": "Uint4B"},
    )


def test_expression_result() -> None:
    # code/042 line 79 (?? int(@$teb->NtTib.StackBase) - int(@$teb->NtTib.StackLimit))
    record = dt.parse([Line(79, "int 0n1044480")]).record
    assert record.root is not None
    assert (record.root.type, record.root.value, record.root.number) == ("int", "0n1044480", "0xff000")
    assert record.type_name == "int" and record.address is None


def test_dx_root_and_members() -> None:
    # code/069 lines 381-384 (dx @$heap_context = (ntkrnlmp!_HEAP_VS_CONTEXT*) 0xffffe0099a6002c0)
    text = (
        "@$heap_context = (ntkrnlmp!_HEAP_VS_CONTEXT*) 0xffffe0099a6002c0                 "
        ": 0xffffe0099a6002c0 [Type: _HEAP_VS_CONTEXT *]\n"
        "    [+0x000] Lock             : 0x1 [Type: unsigned __int64]\n"
        "    [+0x008] LockType         : HeapLockPaged (0) [Type: _RTLP_HP_LOCK_TYPE]\n"
        "    [+0x010] FreeChunkTree    [Type: _RTL_RB_TREE]"
    )
    parsed = dt.parse(lines(text, 381))
    assert parsed.diagnostics == []
    record = parsed.record
    assert (record.type_name, record.address) == ("_HEAP_VS_CONTEXT *", "0xffffe0099a6002c0")
    assert record.root.name == "@$heap_context = (ntkrnlmp!_HEAP_VS_CONTEXT*) 0xffffe0099a6002c0"
    lock, lock_type, tree = record.fields
    assert (lock.offset, lock.type, lock.value, lock.number) == ("0x0", "unsigned __int64", "0x1", "0x1")
    assert (lock_type.type, lock_type.value, lock_type.number) == (
        "_RTLP_HP_LOCK_TYPE",
        "HeapLockPaged (0)",
        "0x0",
    )
    assert (tree.offset, tree.type, tree.value, tree.line) == ("0x10", "_RTL_RB_TREE", None, 384)


def test_dx_field_line_alone() -> None:
    # issues/014 line 1 (the tail of a dx dump, without its root)
    text = "    [+0x168] helper_function_addresses_changed_context : 0xffffd4849296eff0 [Type: void *]"
    (fld,) = dt.parse([Line(1, text)]).record.fields
    assert (fld.offset, fld.name, fld.type, fld.number) == (
        "0x168",
        "helper_function_addresses_changed_context",
        "void *",
        "0xffffd4849296eff0",
    )


def test_header_char_and_elision() -> None:
    # issues/037 lines 2-14 (dt _KPCR 0x82941c00, trimmed)
    text = (
        "ntdll!_KPCR\n"
        "   +0x000 NtTib            : _NT_TIB\n"
        "   +0x000 Used_ExceptionList : 0x8ad8653c _EXCEPTION_REGISTRATION_RECORD\n"
        "   +0x004 Used_StackBase   : (null) \n" + "\n" * 7 + "   +0x024 Irql             : 0x1f ''\n"
        "..."
    )
    parsed = dt.parse(lines(text, 2))
    assert parsed.diagnostics == []
    record = parsed.record
    assert record.type_name == "ntdll!_KPCR"
    irql = record.fields[-1]
    assert (irql.line, irql.number, irql.char) == (13, "0x1f", "")
    assert [n.no for n in record.notes] == [14]


def test_collapsed_whitespace_and_apostrophes() -> None:
    # pages/010 lines 2-8 and 18-20: indentation collapsed, backticks turned into apostrophes
    text = (
        "nt!_MMPFN\n+0x000 u1 : <unnamed-tag>\n\n"
        "+0x010 PteAddress : 0xfffff6fb'400c76d8 _MMPTE\n\n+0x010 Lock : 0n1074558680\n"
    )
    record = dt.parse(lines(text, 2)).record
    assert record.type_name == "nt!_MMPFN"
    u1, pte, lock = record.fields
    assert u1.type == "<unnamed-tag>"
    assert (pte.line, pte.number, pte.pointer_type) == (5, "0xfffff6fb400c76d8", "_MMPTE")
    assert (lock.value, lock.number, lock.union) == ("0n1074558680", "0x400c76d8", True)
    second = dt.parse(lines("!_MMPTE\n+0x000 u : <unnamed-tag>\nMemory read error fffff6fb400c76d8", 18))
    assert second.diagnostics == []
    assert second.record.errors == [
        dt.DtError(20, "Memory read error fffff6fb400c76d8", "0xfffff6fb400c76d8")
    ]


def test_unreadable_values() -> None:
    # code/034 lines 37-38, 53-54
    text = (
        "   +0x000 Signature        : ??\n   +0x004 pState           : ???? \n"
        + "\n" * 14
        + "   +0xaf8 ReferenceCount   : ??\nMemory read error 10041b08"
    )
    record = dt.parse(lines(text, 37)).record
    assert [(f.value, f.number) for f in record.fields] == [("??", None), ("????", None), ("??", None)]
    assert record.errors[0].line == 54 and record.errors[0].address == "0x10041b08"


def test_list_entry_head() -> None:
    # code/066 lines 360-362 (dt nt!_LIST_ENTRY ffffe2809abee000)
    text = (
        " [ 0x74536d4d`03880000 - 0x00000000`00000000 ]\n"
        "   +0x000 Flink            : 0x74536d4d`03880000 _LIST_ENTRY\n"
        "   +0x008 Blink            : (null)"
    )
    record = dt.parse(lines(text, 360)).record
    assert record.list_entry == ["0x74536d4d03880000", "0x0"]
    assert [f.name for f in record.fields] == ["Flink", "Blink"]


def test_mex_echo_annotations_and_array_elements() -> None:
    # code/076 lines 417-425 and 449-451 (!mex.ddt -a6 … nt!_KLOCK_ENTRY), trimmed
    text = (
        "dt -a6 ffff910142868040+0x6a0 nt!_KLOCK_ENTRY () Recursive: [ -r1 -r2 -r ] Verbose Normal dt\n"
        "==================================================================================\n"
        "[0] @ ffff9101`428686e0 \n"
        "---------------------------------------------\n"
        "   +0x000 LockState            : _KLOCK_ENTRY_LOCK_STATE\n"
        "   +0x000 LockUnsafe           : 0xffff9101`42c9cb70 Void  PoolTag: }..{\n"
        "   +0x000 CrossThreadReleasableAndBusyByte : 0x70 'p'\n"
        '   +0x001 Reserved             : [6] "???"\n'
        "   +0x007 InTreeByte           : 0xff ''\n" + "\n" * 23 + "[1] @ ffff9101`42868740 \n"
        "---------------------------------------------\n"
        "   +0x000 LockState            : _KLOCK_ENTRY_LOCK_STATE"
    )
    parsed = dt.parse(lines(text, 417))
    assert parsed.diagnostics == []
    record = parsed.record
    assert record.type_name == "nt!_KLOCK_ENTRY"
    assert record.address is None  # `ffff…+0x6a0` is an expression
    assert [n.no for n in record.notes] == [417, 418, 420, 450]
    first, second = record.fields
    assert (first.name, first.offset, first.number, first.line) == ("[0]", None, "0xffff9101428686e0", 419)
    assert [c.name for c in first.children] == [
        "LockState",
        "LockUnsafe",
        "CrossThreadReleasableAndBusyByte",
        "Reserved",
        "InTreeByte",
    ]
    unsafe, busy, reserved = first.children[1:4]
    assert (unsafe.pointer_type, unsafe.notes) == ("Void", ["PoolTag: }..{"])
    assert (busy.number, busy.char) == ("0x70", "p")
    assert (reserved.array, reserved.string) == ({"count": 6, "element_type": None}, "???")
    assert (second.line, len(second.children)) == (449, 1)


def test_mex_echo_address_list_notes_enum_bits() -> None:
    # code/073 lines 263-273 (!mex.mut), trimmed
    text = (
        "dt nt!_KMUTANT ffffc80f43c8f3f0 () Recursive: [ -r1 -r2 -r ] Verbose Normal dt\n"
        "==================================================================================\n"
        "   +0x018 MutantListEntry      : _LIST_ENTRY "
        "[ 0xfffff804`06411235 - 0x00000000`00000000 ] [INVALID]\n"
        "   +0x030 Spare1               : 0y0000000 (0)"
    )
    record = dt.parse(lines(text, 263)).record
    assert (record.type_name, record.address) == ("nt!_KMUTANT", "0xffffc80f43c8f3f0")
    entry, spare = record.fields
    assert (entry.list_entry, entry.notes) == (["0xfffff80406411235", "0x0"], ["[INVALID]"])
    assert (spare.bitfield, spare.number, spare.notes) == ({"pos": None, "bits": 7}, "0x0", ["(0)"])


def test_negative_numbers_and_mex_comments() -> None:
    # code/078 line 81, code/076 line 444, code/077 line 865
    text = (
        "   +0x008 LockCount            : 0n-6\n"
        "   +0x030 CpuPriorityKey       : -8 ''\n"
        "   +0x011 WaitingByte          : 0x1 '' --> Indicates whether a thread is waiting"
    )
    count, key, waiting = dt.parse(lines(text, 81)).record.fields
    assert (count.value, count.number) == ("0n-6", "-0x6")
    assert (key.number, key.char) == ("-0x8", "")
    assert waiting.notes == ["--> Indicates whether a thread is waiting"]


def test_error_box_and_grid_are_kept() -> None:
    # issues/115 lines 2-4 (dx KiBugCheckDriver), code/078 lines 44-45 (dx -g)
    text = (
        "Type information missing error for KiBugCheckDriver\n"
        "*************************************************************************\n"
        "***                                                                   ***"
    )
    record = dt.parse(lines(text, 2)).record
    assert [(e.line, e.address) for e in record.errors] == [(2, None)]
    assert [n.no for n in record.notes] == [3, 4]
    grid = dt.parse(lines("======\n=          = (+) EventType = (+) ThreadId", 44))
    assert grid.diagnostics == [] and len(grid.record.notes) == 2


_TARGETS = [
    ("dt _POOL_HEADER", "_POOL_HEADER", None),
    ("dt fltmgr!_STREAM_LIST_CTRL fffffa8008e13270+10", "fltmgr!_STREAM_LIST_CTRL", "fffffa8008e13270+10"),
    ("dt _NAME_CACHE_LIST_CTRL @rcx-8 /b", "_NAME_CACHE_LIST_CTRL", "@rcx-8"),
    ("dt nt!_RTL_BALANCED_NODE ffff8005fe38b7a8 -r1", "nt!_RTL_BALANCED_NODE", "ffff8005fe38b7a8"),
    ("dt -a6 ffff910142868040+0x6a0 nt!_KLOCK_ENTRY", "nt!_KLOCK_ENTRY", "ffff910142868040+0x6a0"),
    ("dt ffffc78838a32040+0x6a0 nt!_KLOCK_ENTRY -y WaitingByte", "nt!_KLOCK_ENTRY", "ffffc78838a32040+0x6a0"),
    (
        "dt _EPROCESS poi(poi(poi(0x82941c00+0x20)+4)+0x150)",
        "_EPROCESS",
        "poi(poi(poi(0x82941c00+0x20)+4)+0x150)",
    ),
    ("dt _MMPTE 0xfffff6fb`400c76d8", "_MMPTE", "0xfffff6fb`400c76d8"),
    ("dt nt!_LIST_ENTRY nt!PsActiveProcessHead", "nt!_LIST_ENTRY", "nt!PsActiveProcessHead"),
    (
        "dx @$ctx = (ntkrnlmp!_HEAP_VS_CONTEXT*) 0xffffe0099a6002c0",
        "ntkrnlmp!_HEAP_VS_CONTEXT",
        "0xffffe0099a6002c0",
    ),
    ("dx KiBugCheckDriver", None, None),
    ("?? int(@$teb->NtTib.StackBase) - int(@$teb->NtTib.StackLimit)", None, None),
    ("!pool fffff8a00d106d58", None, None),
]


@pytest.mark.parametrize(("command", "type_name", "address"), _TARGETS)
def test_target_of(command: str, type_name: str | None, address: str | None) -> None:
    # commands from the seed session, code/067, 076, 077, 069, 042, issues/037, 115, pages/010
    assert dt.target_of(command) == (type_name, address)


def _corpus_values() -> list[str]:
    """Every field value in the bundled and shared corpus."""
    values = set()
    files = list(CORPUS.glob("*/*.txt")) + (
        list(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
    )
    for path in files:
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = dt._FIELD.match(text.rstrip()) or dt._DX_FIELD.match(text.rstrip())
            value = m and (m["value"] or m.groupdict().get("dxtype") or "").strip()
            if value:
                values.add(value)
    return sorted(values)


def test_fast_path_builds_the_grammars_tree_on_the_corpus() -> None:
    values = _corpus_values()
    assert len(values) > 50
    grammar = load("dt")
    for value in values:
        tree = grammar.parse(value)  # the grammar reads every value of the corpus
        fast = dt._fast_reading(value)
        assert fast is None or fast == dt._reading(tree), value


_VALUE_PIECES = st.sampled_from(
    ["0x1f", "0x3f`00067e77", "0n-6", "63", "-8", "0y01", "(null)", "??", "_FLT_TYPE", "Void", "Ptr64",
     "Ptr32", "Pos 0, 8 Bits", "[2]", "[Type: void *]", "'p'", "''", "( HeapLockPaged )", '"a b"', "L\"x\"",
     "[ 0x1 - 0x2 ]", "[INVALID]", "--> note", "PoolTag:", "<unnamed-tag>", "x", "'''", "("]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUE_PIECES, min_size=1, max_size=5))
def test_fast_path_agrees_with_the_grammar(pieces: list[str]) -> None:
    value = " ".join(pieces)
    fast = dt._fast_reading(value)
    if fast is None:
        return
    try:
        assert fast == dt._reading(load("dt").parse(value)), value
    except LarkError:
        pytest.fail(f"fast path read what the grammar refuses: {value!r}")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list(" +0x1f:[]()'\"`-_aZ!@$*=.?\t")), max_size=40), max_size=8)
)
def test_parse_never_raises(texts: list[str]) -> None:
    parsed = dt.parse([Line(i, t) for i, t in enumerate(texts, 1)])
    assert all(d.line is not None for d in parsed.diagnostics)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_raises_on_field_lines(value: str) -> None:
    dt.parse([Line(1, "   +0x010 Name : " + value), Line(2, "      [+0x008] Other : " + value)])


def test_number_of() -> None:
    assert dt.number_of("0x3f`00067e77") == "0x3f00067e77"
    assert dt.number_of("0xfffff6fb'400c76d8") == "0xfffff6fb400c76d8"
    assert dt.number_of("0n-6") == "-0x6"
    assert dt.number_of("270583365239") == "0x3f00067e77"
    assert dt.number_of("0y0101") == "0x5"
    assert dt.number_of("1.5") is None


def test_values_keep_their_text() -> None:
    # every field keeps what followed its colon, as printed (seed line 154)
    (fld,) = dt.parse([Line(154, "   +0x040 Flags            : 0x211 (No matching name)")]).record.fields
    assert re.sub(r"\s+", " ", fld.text) == "0x211 (No matching name)"


_ODD_PIECES = st.sampled_from(
    [
        "L",
        "1.5",
        "[Type:",
        "]",
        "'",
        '"',
        "-->",
        "Ptr64Foo",
        "(x(y))",
        "[ 1 - 2 ] [3]",
        "[6]",
        "[Type: _X]",
        "b]",
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(_VALUE_PIECES | _ODD_PIECES, st.sampled_from(["", " ", "  ", "\t"])), min_size=1, max_size=5
    )
)
def test_fast_path_agrees_with_the_grammar_whatever_the_blanks(parts: list[tuple[str, str]]) -> None:
    # lark's lexer needs no blank between tokens; the fast path leaves such values to it
    value = "".join(piece + blank for piece, blank in parts).strip()
    fast = dt._fast_reading(value) if value else None
    if fast is None:
        return
    try:
        assert fast == dt._reading(load("dt").parse(value)), value
    except LarkError:
        pytest.fail(f"fast path read what the grammar refuses: {value!r}")


@pytest.mark.parametrize(
    "value",
    [
        "_LIST_ENTRY [ 0x00000000`00000000 - 0xfffff802`5e5a1270 ] [INVALID]",
        "[6] _KLOCK_ENTRY",
        "[2] (null)",
        "[2] 0x41414141`41414141 _RTL_BALANCED_NODE",
        "0x46a0 [Type: unsigned __int64]",
        "[Type: _RTL_RB_TREE]",
        "HeapLockPaged (0) [Type: _RTLP_HP_LOCK_TYPE]",
        "0x1 '' --> Indicates whether a thread is waiting",
        "0xffff9101`42c9cb70 Void PoolTag: }..{",
        "_LARGE_INTEGER 0xffff9101`428684c8 (0n-122040379603768)",
    ],
)
def test_fast_path_reads_arrays_and_what_follows_a_value(value: str) -> None:
    # shapes of the shared corpus that lark read one call each before the fast path took them
    fast = dt._fast_reading(value)
    assert fast is not None
    assert fast == dt._reading(load("dt").parse(value))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\r\n\x0b\x0c\xa0ab!_-/`0x1+()@$*,;#\\", max_size=30))
def test_unquoted_words_are_split_as_shlex_splits_them(text: str) -> None:
    # `target_of` splits a command without quotes by `_SHELL_WORD`, not shlex
    assert dt._SHELL_WORD.findall(text) == shlex.split(text, posix=False)
