"""Value sanity rules: fills, near-misses, byte-lane patterns, bad pointers (and silence)."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from crashsift.pipeline import parse_file, parse_text

SANITY_KINDS = {"near-miss", "corruption-pattern", "fill-pattern", "bad-pointer"}


def findings(reports, kind):
    return [f for r in reports for f in r.findings if f.kind == kind]


@pytest.fixture(scope="module")
def seed():
    return parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")


def test_seed_byte_four_is_damaged_across_the_node_and_the_registers(seed):
    [pattern] = findings(seed, "corruption-pattern")
    assert pattern.severity == "critical"
    assert pattern.values["byte"] == "4"
    # Read from the session: rax, rsi (lines 23-24) and the nine damaged pointers of the
    # `dt _NAME_CACHE_NODE … /b` dump (lines 210-254); CreationTime is not a pointer.
    assert pattern.values["count"] == "11"
    notes = {e.line: e.note for e in pattern.evidence}
    assert notes[24] == "rsi = 0000009d`00000000, NULL but for byte 4"
    assert notes[23].startswith("rax = fffffaf7`072f96b0, an address of region fffffa80")
    assert {220, 221, 222, 223, 224, 242, 246, 250, 254} <= set(notes)
    assert pattern.values["offsets"].endswith(
        "+0x8, +0x18, +0x20, +0x28, +0x30, +0x38, +0x80, +0x90, +0xa0, +0xb0"
    )
    causes = {x.cause: x.strength for x in pattern.explanations}
    assert causes == {
        "hardware": "strong",
        "overwrite": "weak",
        "uninitialised-or-freed": "weak",
        "race": "weak",
    }


def test_seed_near_misses_name_the_good_address_they_miss(seed):
    misses = {f.values["label"]: f for f in findings(seed, "near-miss")}
    assert set(misses) == {"_NAME_CACHE_NODE.TreeLink.Link.Parent", "_NAME_CACHE_NODE.TreeLink.TreeRoot"}
    parent = misses["_NAME_CACHE_NODE.TreeLink.Link.Parent"]
    # The node is at fffff8a0`0d106d40, its TreeLink at +0x18: the Parent link points back at
    # the node's own field but for byte 4 (0x89 instead of 0xa0).
    assert parent.values["good_address"] == "0xfffff8a00d106d58"
    assert [e.line for e in parent.evidence] == [220, 202]
    root = misses["_NAME_CACHE_NODE.TreeLink.TreeRoot"]
    # rcx = fffffa80`08e13318 is OpenedNameCache.List of the stream list (dt … @rcx-8 + 8).
    assert root.values["good_address"] == "0xfffffa8008e13318"
    assert "_NAME_CACHE_LIST_CTRL.List" in root.message


@pytest.mark.parametrize(
    "name",
    [
        "code/001.txt",
        "code/004.txt",
        "code/028.txt",
        "code/034.txt",
        "code/037.txt",
        "code/042.txt",
        "code/050.txt",
        "code/062.txt",
        "code/069.txt",
        "code/074.txt",
        "code/111.txt",
        "code/112.txt",
        "code/113.txt",
        "issues/014.txt",
        "issues/037.txt",
        "issues/123.txt",
        "pages/010.txt",
    ],
)
def test_healthy_structures_give_no_corruption_finding(name):
    reports = parse_file(CORPUS / name)
    assert not [f.message for r in reports for f in r.findings if f.kind in SANITY_KINDS]


def test_a_pool_tag_written_over_a_list_link_is_a_bad_pointer():
    # code/066: `dt nt!_LIST_ENTRY ffffe2809abee000` shows Flink 0x74536d4d`03880000 ("MmSt").
    [bad] = findings(parse_file(CORPUS / "code" / "066.txt"), "bad-pointer")
    assert bad.values == {"value": "0x74536d4d03880000", "label": "_LIST_ENTRY.Flink"}
    assert "non-canonical" in bad.message


def test_repeated_characters_in_a_tree_node_are_an_overwrite():
    [fill] = findings(parse_file(CORPUS / "code" / "067.txt"), "fill-pattern")
    assert fill.values == {"value": "0x4141414141414141", "cause": "overwrite"}
    # The value is not reported a second time as a non-canonical pointer.
    assert not findings(parse_file(CORPUS / "code" / "067.txt"), "bad-pointer")


NODE = """\
0: kd> dt nt!_FOO ffffc001`12345000
   +0x000 Self             : 0x{self} _FOO
   +0x008 Next             : 0xffffc001`12345100 _FOO
   +0x010 Prev             : 0x{prev} _FOO
   +0x018 Owner            : 0x{owner} _BAR
"""


def node(self="ffffc001`12345000", prev="ffffc001`12345200", owner="ffffc001`12345300"):
    return parse_text(NODE.format(self=self, prev=prev, owner=owner))


def test_a_pointer_one_byte_from_its_own_structure_is_a_near_miss():
    [miss] = findings(node(self="ffffc081`12345000"), "near-miss")
    assert miss.values["good_address"] == "0xffffc00112345000"
    assert miss.values["byte"] == "4"
    assert not findings(node(), "near-miss")


def test_one_or_two_damaged_values_are_not_a_pattern():
    two = node(self="ffffc081`12345000", prev="000000c1`00000000")
    assert not findings(two, "corruption-pattern")
    three = node(self="ffffc081`12345000", prev="000000c1`00000000", owner="0000007f`00000000")
    [pattern] = findings(three, "corruption-pattern")
    assert pattern.values["count"] == "3"


def test_values_that_only_land_in_other_regions_are_not_a_pattern():
    # ffffd001 / ffffe001 / ffffc101 are each one byte from the node's region ffffc001, but no
    # value equals a good address or NULL but for that byte: ordinary regions, no pattern.
    reports = node(self="ffffd001`00001000", prev="ffffe001`00002000", owner="ffffc101`00003000")
    assert not [f for r in reports for f in r.findings if f.kind in SANITY_KINDS]


def test_registers_holding_packed_numbers_are_not_damage():
    regs = """\
0: kd> r
rax=000000000000c301 rbx=ffffe00173eed880 rcx=0000000000000001
rdx=000000d800000000 rsi=ffffe00173eed8e0 rdi=ffffe00173eed8f0
rip=fffff803bb757020 rsp=ffffd001f01f8988 rbp=ffffe00173f0b620
 r8=000000000000003e  r9=ffffe00167a4a000 r10=000000000000001e
r11=ffffd001f01f8990 r12=0000000000000000 r13=ffffe00173eed800
r14=0000009300000000 r15=0000007100000000
iopl=0         nv up ei pl zr na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00000246
"""
    reports = parse_text(regs)
    assert not [f for r in reports for f in r.findings if f.kind in SANITY_KINDS]


def test_fill_patterns_in_a_pointer_dump():
    dump = """\
0: kd> dps ffffc001`12345000 l3
ffffc001`12345000  feeefeee`feeefeee
ffffc001`12345008  ffffc001`12345100
ffffc001`12345010  baadf00d`baadf00d
"""
    fills = {f.values["value"]: f.values["cause"] for f in findings(parse_text(dump), "fill-pattern")}
    assert fills == {"0xfeeefeeefeeefeee": "freed", "0xbaadf00dbaadf00d": "uninitialised"}


LINKS = """\
0: kd> dt nt!{type} ffffc001`12345000
   +0x000 Lock             : 1
   +0x020 SubsegmentList   : _LIST_ENTRY [ 0x00000000`008022e0 - 0x00000000`3cedc2e0 ]
"""


def test_a_kernel_list_link_into_user_space_is_a_bad_pointer_unless_the_type_encodes_it():
    bad = findings(parse_text(LINKS.format(type="_MY_CONTEXT")), "bad-pointer")
    assert [b.values["value"] for b in bad] == ["0x8022e0", "0x3cedc2e0"]
    assert "points into user space" in bad[0].message
    assert not findings(parse_text(LINKS.format(type="_HEAP_VS_CONTEXT")), "bad-pointer")
