"""placement rule: addresses placed in !pool blocks, dt layouts and modules, every number checked
by hand against the paste (the arithmetic is written next to each assertion)."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from crashsift.model import Finding
from crashsift.pipeline import parse_file, parse_text


def placements(reports: list) -> dict[str, Finding]:
    """The placement findings of a paste, by the address they place."""
    found = [f for r in reports for f in r.findings if f.kind == "placement"]
    by_address = {f.values["address"]: f for f in found}
    assert len(by_address) == len(found), "one finding per distinct address"
    return by_address


def lines_of(finding: Finding) -> list[int | None]:
    return [e.line for e in finding.evidence]


@pytest.fixture(scope="module")
def seed() -> dict[str, Finding]:
    return placements(parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt"))


# --- the seed session (corpus/seed/fltmgr-0x3b-session.txt) --------------------------------------


def test_seed_rcx_is_opened_name_cache_tree(seed: dict[str, Finding]) -> None:
    # FMsl block fffffa8008e13270 (line 122), size 0xc0, x64 header 0x10 -> body fffffa8008e13280;
    # rcx fffffa8008e13318 - fffffa8008e13280 = 0x98. _STREAM_LIST_CTRL: OpenedNameCache at 0x90
    # (line 163, next field 0xa0), in its _NAME_CACHE_LIST_CTRL List at +0x8 (line 177), in its
    # _TREE_ROOT Tree at +0x0 (line 178).
    f = seed["0xfffffa8008e13318"]
    assert f.severity == "info"
    assert f.message.startswith("rcx, rbp, ")
    assert f.message.endswith(
        " = fffffa80`08e13318 is 0x98 bytes into the body of the FMsl pool block at fffffa80`08e13270"
        " (STREAM_LIST_CTRL structure, fltmgr.sys): _STREAM_LIST_CTRL + 0x98 = OpenedNameCache.List.Tree."
    )
    assert f.values == {
        "address": "0xfffffa8008e13318",
        "pool_block": "0xfffffa8008e13270",
        "pool_tag": "FMsl",
        "pool_state": "Allocated",
        "pool_part": "body",
        "offset": "0x98",
        "type": "_STREAM_LIST_CTRL",
        "type_base": "0xfffffa8008e13280",
        "field_path": "OpenedNameCache.List.Tree",
    }
    # where the value is seen: rcx (23), rbp (25), `mov rsi,qword ptr [rcx]` (98), the dq row
    # (113), the Pool page line (116); what places it: entry 122, tag 123, the dt 150, fields
    # 163/177/178, and the `dt _NAME_CACHE_LIST_CTRL @rcx-8 /b` (175) that shows it at +0x8.
    # (98 comes from the origin rule: asserted apart from the placement's own lines)
    assert set(lines_of(f)) - {98} == {23, 25, 113, 116, 122, 123, 150, 163, 177, 178, 175}


def test_seed_tree_value_is_the_tree_link_of_a_name_cache_node(seed: dict[str, Finding]) -> None:
    # FMfn block fffff8a00d106d30 (line 194), size 0x190 -> body fffff8a00d106d40;
    # fffff8a00d106d58 - fffff8a00d106d40 = 0x18 = TreeLink (202/218), Link +0 (219), Parent +0 (220).
    f = seed["0xfffff8a00d106d58"]
    assert f.severity == "info"
    assert "0x18 bytes into the body of the FMfn pool block at fffff8a0`0d106d30" in f.message
    assert f.message.endswith("_NAME_CACHE_NODE + 0x18 = TreeLink.Link.Parent.")
    assert (f.values["offset"], f.values["type"], f.values["field_path"]) == (
        "0x18",
        "_NAME_CACHE_NODE",
        "TreeLink.Link.Parent",
    )
    assert f.values["type_base"] == "0xfffff8a00d106d40"
    # seen as the dq value (113), the dt Tree value (178), the !pool address (181)
    assert {113, 178, 181, 194, 195, 198} <= set(lines_of(f))
    assert {219, 220} <= set(lines_of(f))


def test_seed_name_buffer_is_past_the_last_field(seed: dict[str, Finding]) -> None:
    # Buffer fffff8a00d106e10 (lines 234 and 238) - body fffff8a00d106d40 = 0xd0; the block ends
    # at fffff8a00d106d30 + 0x190 = fffff8a00d106ec0, so it is inside; the last field shown is
    # UseCount at 0xc8 (204): the name buffer is stored after the node.
    f = seed["0xfffff8a00d106e10"]
    assert "0xd0 bytes into the body of the FMfn pool block" in f.message
    assert f.message.endswith("_NAME_CACHE_NODE + 0xd0 is past the last field shown (UseCount at +0xc8).")
    assert (f.values["offset"], f.values["gap"], f.values["field_path"]) == ("0xd0", "past-end", "")
    assert {234, 238, 194, 204} <= set(lines_of(f))


def test_seed_rip_in_tree_unlink_multi(seed: dict[str, Finding]) -> None:
    # `je fltmgr!TreeUnlinkMulti+0x123 (fffff880`0106f213)` (line 92): the function starts at
    # fffff8800106f213 - 0x123 = fffff8800106f0f0; rip fffff8800106f141 - that = 0x51.
    f = seed["0xfffff8800106f141"]
    assert f.message == "rip, Arg2 = fffff880`0106f141 is in fltmgr (fltmgr!TreeUnlinkMulti+0x51)."
    assert f.values["symbol"] == "fltmgr!TreeUnlinkMulti+0x51"
    assert lines_of(f) == [25, 8, 92]


def test_seed_dt_addresses_and_silence(seed: dict[str, Finding]) -> None:
    # the dt of @rcx-8 = fffffa8008e13310: body + 0x90 = OpenedNameCache, NameFormat at +0 (176)
    assert seed["0xfffffa8008e13310"].values["field_path"] == "OpenedNameCache.NameFormat"
    # `dt … fffffa8008e13270+10` shows the structure at the start of the body: no field to name
    assert seed["0xfffffa8008e13280"].values["offset"] == "0x0"
    assert "field_path" not in seed["0xfffffa8008e13280"].values
    # nothing shown holds rsi 9d00000000, rsp, Arg3, the bad Parent fffff8890d106d58 or rax
    assert set(seed) == {
        "0xfffffa8008e13318",
        "0xfffff8a00d106d58",
        "0xfffff8a00d106e10",
        "0xfffff8800106f141",
        "0xfffffa8008e13310",
        "0xfffffa8008e13280",
        "0xfffff8a00d106d40",
    }


# --- other corpus sessions -------------------------------------------------------------------------


def test_segment_heap_block_start() -> None:
    # code/112.txt: tvEm at ffffac883ca17910 (line 67), size 0x600, header 0x10 -> body
    # ffffac883ca17920 = rbp (26) = r10 (27) = the db start (55) = the !pool address (65).
    found = placements(parse_file(CORPUS / "code" / "112.txt"))
    f = found["0xffffac883ca17920"]
    assert f.message == (
        "rbp, r10, the db address and 1 more = ffffac88`3ca17920 is the start of the body of the tvEm"
        " pool block at ffffac88`3ca17910 (owning component: Unknown (update pooltag.txt))."
    )
    assert lines_of(f) == [26, 27, 55, 65, 67, 68]
    # r9 ffffac983ca17918 and Arg1 ffffac983ca17910 are in no block shown (ffffac98, not ffffac88)
    assert not {"0xffffac983ca17918", "0xffffac983ca17910"} & set(found)


def test_large_pool_allocation_has_no_header() -> None:
    # code/113.txt: `*ffffc986cb6f2000 : large page allocation, tag is V2lg, size is 0x4000 bytes`
    # (line 35); rdx (4) = ffffc986cb6f2000 is its first byte, and there is no header.
    found = placements(parse_file(CORPUS / "code" / "113.txt"))
    f = found["0xffffc986cb6f2000"]
    assert f.message == (
        "rdx, the !pool address = ffffc986`cb6f2000 is the start of the body of the large V2lg pool"
        " allocation at ffffc986`cb6f2000 (VHD2 core large allocation, vhdmp.sys)."
    )
    assert (f.values["pool_part"], f.values["offset"]) == ("body", "0x0")
    # rcx = ffffc986cb6edb30 is on another page: not placed
    assert "0xffffc986cb6edb30" not in found


def test_corruption_address_in_a_pool_header_is_a_warning() -> None:
    # code/066.txt: 0x13A Arg3 ffffe2809abee000 (line 31) is the MmSt block's own address
    # (line 335), the first byte of its 0x10-byte header; `dt nt!_LIST_ENTRY` (359) reads it too.
    f = placements(parse_file(CORPUS / "code" / "066.txt"))["0xffffe2809abee000"]
    assert f.severity == "warning"
    assert "is in the pool header of the MmSt pool block at ffffe280`9abee000" in f.message
    assert "at +0x0 of its 0x10 bytes" in f.message
    assert (f.values["pool_part"], f.values["offset"]) == ("header", "0x0")
    assert lines_of(f)[:3] == [31, 359, 334]


def test_old_x86_pool_header_is_8_bytes() -> None:
    # code/050.txt: `!pool e1001050` without a Pool page line: the command gives the address;
    # ObDi at e1001050 (line 4), size 0x10, header 8 -> the address is header +0x0.
    f = placements(parse_file(CORPUS / "code" / "050.txt"))["0xe1001050"]
    assert "pool header of the ObDi pool block at e1001050, at +0x0 of its 0x8 bytes" in f.message
    assert f.severity == "info"  # the address !pool was asked about is not a pointer held anywhere


def test_register_in_a_dt_instance() -> None:
    # code/069.txt: `dt ntkrnlmp!_HEAP_VS_CONTEXT ffffe0099a6002c0 -r1` (line 355); r10 (243, 334)
    # ffffe0099a6002d0 - ffffe0099a6002c0 = 0x10 = FreeChunkTree (358), Root at +0 (359).
    f = placements(parse_file(CORPUS / "code" / "069.txt"))["0xffffe0099a6002d0"]
    assert f.message == (
        "r10 = ffffe009`9a6002d0 = _HEAP_VS_CONTEXT at ffffe009`9a6002c0 + 0x10 (FreeChunkTree.Root)."
    )
    assert lines_of(f) == [243, 334, 355, 358, 359]


def test_argument_in_an_lm_module() -> None:
    # code/034.txt: Arg2 9a02381e (line 13) in `9a01a000 9a09a000 atikmpag` (26): +0x981e.
    f = placements(parse_file(CORPUS / "code" / "034.txt"))["0x9a02381e"]
    assert f.message == "Arg2 = 9a02381e is in atikmpag (atikmpag+0x981e)."
    assert lines_of(f) == [13, 26]


# --- hand-made sessions ----------------------------------------------------------------------------

X86_POOL = """\
0: kd> r
eax=8a3c5080 ebx=8a3c507c ecx=8a3c5064 edx=00000000 esi=8a3c5078 edi=00000001
eip=80545c2f esp=f78a2b2c ebp=f78a2b44 iopl=0         nv up ei pl nz na po nc
cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00000202
0: kd> !pool @eax
Pool page 8a3c5080 region is Nonpaged pool
 8a3c5000 size:   58 previous size:    0  (Allocated)  Irp
 8a3c5058 size:   20 previous size:   58  (Free)       Io
*8a3c5078 size:   40 previous size:   20  (Allocated) *Ntfr
\t\tPooltag Ntfr : ERESOURCE, Binary : ntfs.sys
 8a3c50b8 size:   48 previous size:   40  (Allocated)  MmCa
0: kd> lm
start    end        module name
80500000 806ce000   nt         (pdb symbols)
f7b7e000 f7b9c000   Ntfs       (deferred)
"""


def test_x86_pool_header_free_block_and_module() -> None:
    found = placements(parse_text(X86_POOL))
    # Ntfr 8a3c5078..8a3c50b8, x86 header 8 -> body 8a3c5080 = eax
    eax = found["0x8a3c5080"]
    assert eax.message.startswith("eax, the !pool address = 8a3c5080 is the start of the body of the Ntfr")
    assert (eax.severity, eax.values["offset"]) == ("info", "0x0")
    # ebx 8a3c507c - 8a3c5078 = 4: inside the 8-byte header
    ebx = found["0x8a3c507c"]
    assert (ebx.severity, ebx.values["pool_part"], ebx.values["offset"]) == ("warning", "header", "0x4")
    assert "at +0x4 of its 0x8 bytes — a pointer into a pool header" in ebx.message
    # esi is the block's own address: header +0
    assert found["0x8a3c5078"].values["offset"] == "0x0"
    # ecx 8a3c5064 in the Free Io block 8a3c5058..8a3c5078: body 8a3c5060 + 4
    ecx = found["0x8a3c5064"]
    assert ecx.severity == "warning"
    assert ecx.message == (
        "ecx = 8a3c5064 is 0x4 bytes into the body of the Free Io pool block at 8a3c5058"
        " — a pointer into a freed block, a classic sign of use after free."
    )
    assert lines_of(ecx) == [2, 8]
    # eip 80545c2f - nt start 80500000 = 0x45c2f
    assert found["0x80545c2f"].message == "eip = 80545c2f is in nt (nt+0x45c2f)."
    # edi = 1, edx = 0, esp/ebp f78a2bxx (below Ntfs at f7b7e000) and efl are placed nowhere
    assert set(found) == {"0x8a3c5080", "0x8a3c507c", "0x8a3c5078", "0x8a3c5064", "0x80545c2f"}


X64_LAYOUT = """\
0: kd> r
rax=ffffc08a1b2c3014 rbx=ffffc08a1b2c302c rcx=ffffc08a1b2c3040
rdx=ffffc08a1b2c3004 rsi=0000000000000000 rdi=0000000000000001
rip=fffff8054c21a0b3 rsp=ffff8b0d4a1c6f00 rbp=ffffc08a1b2d0000
 r8=ffffc08a1b2c3078  r9=0000000000000000 r10=0000000000000000
r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up ei pl nz na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00040246
0: kd> !pool @rax
Pool page ffffc08a1b2c3014 region is Nonpaged pool
*ffffc08a1b2c3000 size:   60 previous size:    0  (Allocated) *Tst1
\t\tPooltag Tst1 : TEST_OBJECT structure, Binary : mydrv.sys
 ffffc08a1b2c3060 size:   40 previous size:   60  (Free)       Tst1
 ffffc08a1b2c30a0 size:   60 previous size:   40  (Allocated)  Tst1
0: kd> dt mydrv!_TEST_OBJECT
   +0x000 Flags            : Uint4B
   +0x008 Link             : _LIST_ENTRY
   +0x018 Value            : _LARGE_INTEGER
   +0x020 Count            : Uint2B
0: kd> dt _LARGE_INTEGER
   +0x000 LowPart          : Uint4B
   +0x004 HighPart         : Int4B
   +0x000 u                : <unnamed-tag>
   +0x000 QuadPart         : Int8B
"""


@pytest.fixture(scope="module")
def layout() -> dict[str, Finding]:
    return placements(parse_text(X64_LAYOUT))


def test_padding_after_a_field(layout: dict[str, Finding]) -> None:
    # Tst1 body ffffc08a1b2c3010; rax - body = 4: Flags is a Uint4B (0..4), Link starts at 8
    f = layout["0xffffc08a1b2c3014"]
    assert f.message.endswith(
        "_TEST_OBJECT + 0x4 (type from the pool tag description)"
        " is between fields (padding after Flags at +0x0)."
    )
    assert (f.values["gap"], f.values["type"]) == ("padding", "_TEST_OBJECT")
    assert lines_of(f) == [2, 11, 12, 13, 17]  # rax, Pool page, entry, tag, the Flags line


def test_union_members_share_the_offset(layout: dict[str, Finding]) -> None:
    # rbx - body = 0x1c = Value (+0x18) + 4: HighPart (Int4B at +4); u and QuadPart (Int8B at +0)
    # hold byte 4 too
    f = layout["0xffffc08a1b2c302c"]
    assert f.values["field_path"] == "Value.HighPart"
    assert f.message.endswith("= Value.HighPart (union: also Value.u, Value.QuadPart).")
    assert {19, 23} <= set(lines_of(f))  # Value, HighPart


def test_past_the_last_field(layout: dict[str, Finding]) -> None:
    # rcx - body = 0x30; Count (Uint2B) at 0x20 is the last field; the block ends at +0x50
    f = layout["0xffffc08a1b2c3040"]
    assert f.message.endswith("is past the last field shown (Count at +0x20).")
    assert f.values["gap"] == "past-end"


def test_header_and_free_block_x64(layout: dict[str, Finding]) -> None:
    # rdx = block + 4: in the 0x10-byte header
    rdx = layout["0xffffc08a1b2c3004"]
    assert (rdx.severity, rdx.values["pool_part"], rdx.values["offset"]) == ("warning", "header", "0x4")
    # r8 in the Free block ffffc08a1b2c3060: body ffffc08a1b2c3070 + 8
    r8 = layout["0xffffc08a1b2c3078"]
    assert (r8.severity, r8.values["pool_state"], r8.values["offset"]) == ("warning", "Free", "0x8")
    assert "use after free" in r8.message
    # rbp ffffc08a1b2d0000 is past the page shown; rsp and rip are in nothing shown
    assert set(layout) == {
        "0xffffc08a1b2c3014",
        "0xffffc08a1b2c302c",
        "0xffffc08a1b2c3040",
        "0xffffc08a1b2c3004",
        "0xffffc08a1b2c3078",
    }


MODULES = """\
0: kd> r
rax=0000000000000000 rbx=0000000000000000 rcx=0000000000000000
rdx=0000000000000000 rsi=0000000000000000 rdi=0000000000000001
rip=fffff8054c21a0b3 rsp=ffff8b0d4a1c6f00 rbp=0000000000000000
 r8=0000000000000000  r9=0000000000000000 r10=0000000000000000
r11=0000000000000000 r12=fffff8054c21a1c8 r13=fffff8054b8a1234
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up ei pl nz na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00040246
0: kd> k
 # Child-SP          RetAddr               Call Site
00 ffff8b0d`4a1c6f00 fffff805`4c21a210     mydrv!DoWork+0xb3
01 ffff8b0d`4a1c6f40 fffff805`4b8a1234     mydrv!DispatchIoctl+0x60
02 ffff8b0d`4a1c6f80 00000000`00000000     nt!IofCallDriver+0x55
0: kd> lm m mydrv
start             end                 module name
fffff805`4c210000 fffff805`4c230000   mydrv      (private pdb symbols)  c:\\sym\\mydrv.pdb
"""


def test_module_placement_by_lm_and_symbols() -> None:
    found = placements(parse_text(MODULES))
    # rip fffff8054c21a0b3 - mydrv start fffff8054c210000 = 0xa0b3 (no symbol around it shown)
    assert found["0xfffff8054c21a0b3"].message == "rip = fffff805`4c21a0b3 is in mydrv (mydrv+0xa0b3)."
    # frame 00 returns to fffff8054c21a210 = DispatchIoctl+0x60: it starts at fffff8054c21a1b0;
    # r12 fffff8054c21a1c8 - that = 0x18
    r12 = found["0xfffff8054c21a1c8"]
    assert r12.message == "r12 = fffff805`4c21a1c8 is in mydrv (mydrv!DispatchIoctl+0x18)."
    # r12, the lm row, frame 01 (its symbol names frame 00's return address)
    assert lines_of(r12) == [6, 17, 13]
    # r13 is frame 01's return address: nt!IofCallDriver+0x55, nt from the symbol (no lm row)
    assert found["0xfffff8054b8a1234"].values == {
        "address": "0xfffff8054b8a1234",
        "module": "nt",
        "symbol": "nt!IofCallDriver+0x55",
    }
    # the stack's own return addresses are not placed one by one
    assert "0xfffff8054c21a210" not in found


def test_silent_when_nothing_places() -> None:
    text = X86_POOL.replace("eax=8a3c5080 ebx=8a3c507c", "eax=8b000010 ebx=00001000")
    text = text.replace("ecx=8a3c5064", "ecx=9a3c5064")
    text = text.replace("esi=8a3c5078", "esi=7ffde000").replace("eip=80545c2f", "eip=f8000000")
    text = text.replace("Pool page 8a3c5080", "Pool page 8a3c5fff")
    assert placements(parse_text(text)) == {}


def test_capped_with_the_count_said() -> None:
    # 25 dq rows of 2 qwords, each a distinct pointer into one large allocation: 50 places, 40 kept
    base = "ffffc08a`1b2c"
    rows = "\n".join(
        f"{base}{0x8000 + 16 * i:04x}  {base}{0x3000 + 16 * i:04x} {base}{0x3008 + 16 * i:04x}"
        for i in range(25)
    )
    text = (
        "0: kd> !pool ffffc08a1b2c3000\n"
        "Pool page ffffc08a1b2c3000 region is Nonpaged pool\n"
        "*ffffc08a1b2c3000 : large page allocation, tag is Big1, size is 0x1000 bytes\n"
        f"0: kd> dq ffffc08a1b2c8000 l32\n{rows}\n"
    )
    found = [f for r in parse_text(text) for f in r.findings if f.kind == "placement"]
    assert len(found) == 40
    # the !pool address ffffc08a1b2c3000 is also the first value: 50 distinct addresses
    assert found[-1].values["capped"] == "40 of 50 placed addresses shown"


LINKED = """\
0: kd> r
rax=ffffa80112340000 rbx=ffffa80112340100 rcx=0000000000000000
rdx=0000000000000000 rsi=0000000000000000 rdi=0000000000000001
rip=fffff8054c21a0b3 rsp=ffff8b0d4a1c6f00 rbp=0000000000000000
 r8=0000000000000000  r9=0000000000000000 r10=0000000000000000
r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up ei pl nz na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00040246
0: kd> dt mydrv!_REQUEST @rax
   +0x000 Entry            : _LIST_ENTRY [ 0xffffa801`12340000 - 0xffffa801`12340000 ]
   +0x010 Owner            : 0xffffa801`12340100 _DEVICE_STATE
   +0x018 Waiter           : 0xffffa801`12340128 _DEVICE_STATE
   +0x020 Status           : 0n0
0: kd> dt mydrv!_DEVICE_STATE @rbx
   +0x000 Flags            : 0x3
   +0x008 Lock             : 0
   +0x010 Queue            : _LIST_ENTRY [ 0xffffa801`12340000 - 0xffffa801`12340000 ]
   +0x020 Pending          : 0n2
   +0x028 Event            : _KEVENT
"""


def test_dt_fields_pointing_into_other_dt_instances() -> None:
    found = placements(parse_text(LINKED))
    # Waiter (line 13) ffffa80112340128 - the _DEVICE_STATE at rbx ffffa80112340100 = 0x28 = Event
    # (line 20, the last field shown: placed because the offset is exactly its own)
    waiter = found["0xffffa80112340128"]
    assert waiter.message == (
        "_REQUEST.Waiter = ffffa801`12340128 = _DEVICE_STATE at ffffa801`12340100 + 0x28 (Event)."
    )
    assert lines_of(waiter) == [13, 15, 20]
    # Owner (12) is the address the _DEVICE_STATE dump starts at
    owner = found["0xffffa80112340100"]
    assert owner.message.endswith("is the start of a _DEVICE_STATE (as dt shows it).")
    assert (owner.values["type"], owner.values["offset"]) == ("_DEVICE_STATE", "0x0")
    # the device's Queue (18) holds the request: the _REQUEST at rax
    assert found["0xffffa80112340000"].values["type"] == "_REQUEST"
    assert 18 in lines_of(found["0xffffa80112340000"])


def test_self_pointing_list_and_register_equal_to_dt_address_say_nothing() -> None:
    # without the device's Queue pointing at it, the _REQUEST's address is seen only as rax (the
    # address dt was given) and in its own empty list head: nothing new, no finding
    text = LINKED.replace(
        "Queue            : _LIST_ENTRY [ 0xffffa801`12340000 - 0xffffa801`12340000 ]",
        "Queue            : _LIST_ENTRY [ 0xffffa801`12350000 - 0xffffa801`12350000 ]",
    )
    found = placements(parse_text(text))
    assert "0xffffa80112340000" not in found
    assert set(found) == {"0xffffa80112340100", "0xffffa80112340128"}


def test_dt_inside_a_block_that_names_no_type() -> None:
    # without the tag description, the block's type is unknown; a dt of _LARGE_INTEGER at
    # ffffc08a1b2c3028 (body + 0x18) still places rbx ffffc08a1b2c302c: + 4 = HighPart. QuadPart
    # (Int8B) holds byte 4 too; u (no size, no field after it at a larger offset, no enclosing
    # field now) holds only its own offset.
    text = X64_LAYOUT.replace("\t\tPooltag Tst1 : TEST_OBJECT structure, Binary : mydrv.sys\n", "")
    text = text.replace("0: kd> dt _LARGE_INTEGER\n", "0: kd> dt _LARGE_INTEGER ffffc08a1b2c3028\n")
    f = placements(parse_text(text))["0xffffc08a1b2c302c"]
    assert f.message == (
        "rbx = ffffc08a`1b2c302c is 0x1c bytes into the body of the Tst1 pool block at ffffc08a`1b2c3000:"
        " _LARGE_INTEGER at ffffc08a`1b2c3028 + 0x4 = HighPart (union: also QuadPart)."
    )
    assert (f.values["offset"], f.values["type_base"]) == ("0x1c", "0xffffc08a1b2c3028")


def test_instance_fields_take_their_sizes_from_the_layout() -> None:
    # an instance dump prints values, not types: Flags' size (Uint4B) comes from the layout, so
    # rax = body + 4 is still padding, not "Flags + 0x4"
    instance = (
        "0: kd> dt mydrv!_TEST_OBJECT ffffc08a1b2c3010\n"
        "   +0x000 Flags            : 0x11\n"
        "   +0x008 Link             : _LIST_ENTRY [ 0xffffc08a`1b2c3018 - 0xffffc08a`1b2c3018 ]\n"
        "   +0x018 Value            : _LARGE_INTEGER 0x5\n"
        "   +0x020 Count            : 2\n"
    )
    f = placements(parse_text(X64_LAYOUT + instance))["0xffffc08a1b2c3014"]
    assert f.message.endswith("_TEST_OBJECT + 0x4 is between fields (padding after Flags at +0x0).")


def test_pool_header_fields_bitfields_by_byte() -> None:
    # with `dt _POOL_HEADER` shown, a header address names its field: rdx = block + 4 = PoolTag;
    # r9 = block + 1 is the byte of PoolIndex (Pos 8, 8 Bits), not PreviousSize (Pos 0)
    header = (
        "0: kd> dt _POOL_HEADER\n"
        "   +0x000 PreviousSize     : Pos 0, 8 Bits\n"
        "   +0x000 PoolIndex        : Pos 8, 8 Bits\n"
        "   +0x000 BlockSize        : Pos 16, 8 Bits\n"
        "   +0x000 PoolType         : Pos 24, 8 Bits\n"
        "   +0x000 Ulong1           : Uint4B\n"
        "   +0x004 PoolTag          : Uint4B\n"
        "   +0x008 ProcessBilled    : Ptr64 _EPROCESS\n"
        "   +0x008 AllocatorBackTraceIndex : Uint2B\n"
        "   +0x00a PoolTagHash      : Uint2B\n"
    )
    text = X64_LAYOUT.replace(" r9=0000000000000000", " r9=ffffc08a1b2c3001") + header
    found = placements(parse_text(text))
    rdx = found["0xffffc08a1b2c3004"]
    assert rdx.values["field_path"] == "PoolTag"
    assert ": _POOL_HEADER + 0x4 = PoolTag — a pointer into a pool header" in rdx.message
    r9 = found["0xffffc08a1b2c3001"]
    assert r9.values["field_path"] == "PoolIndex"
    assert r9.message.endswith(
        ": _POOL_HEADER + 0x1 = PoolIndex (union: also Ulong1)"
        " — a pointer into a pool header, not to the allocation after it."
    )


def test_function_ranges_only_from_plausible_offsets() -> None:
    # r14 fffff8054b8a1200 lies between nt!IofCallDriver's start (fffff8054b8a1234 - 0x55 =
    # fffff8054b8a11df) and its return address: IofCallDriver+0x21
    text = MODULES.replace("r14=0000000000000000", "r14=fffff8054b8a1200")
    assert placements(parse_text(text))["0xfffff8054b8a1200"].values["symbol"] == "nt!IofCallDriver+0x21"
    # the same address under a symbol 0x1925a6 bytes away is the nearest symbol the debugger
    # had, not a function it can be placed in
    far = text.replace("nt!IofCallDriver+0x55", "nt!ExpWorkerThread+0x1925a6")
    found = placements(parse_text(far))
    assert "0xfffff8054b8a1200" not in found
    assert found["0xfffff8054b8a1234"].values["symbol"] == "nt!ExpWorkerThread+0x1925a6"  # shown as is


def test_layouts_of_the_seed() -> None:
    from crashsift.evidence.layouts import Layouts
    from crashsift.evidence.session import Session
    from crashsift.repair import repair

    text = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
    [report] = parse_text(text)
    layouts = Layouts(Session.of(report, repair(text).lines).dts)
    # the layout pasted without its `dt` line (lines 169-170: NameFormat Uint4B, List) is
    # _NAME_CACHE_LIST_CTRL, the one type whose fields it repeats; its Uint4B makes +0x94 of
    # _STREAM_LIST_CTRL (OpenedNameCache + 4) padding
    r = layouts.resolve("_STREAM_LIST_CTRL", 0x94)
    assert r is not None
    assert (r.path, r.gap, r.near and r.near.path) == (
        "OpenedNameCache",
        "padding",
        "OpenedNameCache.NameFormat",
    )
    # CreationTime (_LARGE_INTEGER at 0x10, /b lines 212-216): +0x14 is HighPart, and inside u
    r = layouts.resolve("_NAME_CACHE_NODE", 0x14)
    assert r is not None
    assert (r.path, r.alternatives) == (
        "CreationTime.HighPart",
        ["CreationTime.u.HighPart", "CreationTime.QuadPart"],
    )
    # NameInfo (+0x50) Name (+0x8) Buffer (+0x8): 0x60
    r = layouts.resolve("_NAME_CACHE_NODE", 0x60)
    assert r is not None
    assert [s.field.line for s in r.steps] == [203, 231, 234]
