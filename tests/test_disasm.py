"""The disasm parser: `u` / `ub` / `uf` listings and single disassembly lines, read from real
pastes (each test names its corpus file and lines). ARM64 disassembly appears nowhere in the
corpus: those tests use lines written in the Microsoft disassembler's ARM64 syntax."""

from __future__ import annotations

import re

from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.model import Line
from crashsift.parsers import disasm
from crashsift.parsers.disasm import _HEAD, _grammar_tokens, _plain_tokens, parse, parse_instruction


def lines(text: str, first: int = 1) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(text.splitlines(), first)]


def test_seed_listing_without_prompt() -> None:
    # seed/fltmgr-0x3b-session.txt lines 85, 88, 91-93, 96, 109 (a `u` pasted with no prompt, no label)
    text = (
        "fffff880`0106f0f0 fff3            push    rbx\n"
        "fffff880`0106f0f4 4883ec30        sub     rsp,30h\n"
        "fffff880`0106f0fd 4883faff        cmp     rdx,0FFFFFFFFFFFFFFFFh\n"
        "fffff880`0106f101 0f840c010000    je      fltmgr!TreeUnlinkMulti+0x123 (fffff880`0106f213)\n"
        "fffff880`0106f107 4c89642458      mov     qword ptr [rsp+58h],r12\n"
        "fffff880`0106f113 0f85eb450000    jne     fltmgr! ?? ::FNODOBFM::`string'+0x504"
        " (fffff880`01073704)\n"
        "fffff880`0106f13d c3              ret\n"
    )
    parsed = parse(lines(text, 85))
    assert parsed.diagnostics == []
    ins = parsed.record.instructions
    assert [i.line for i in ins] == [85, 86, 87, 88, 89, 90, 91]
    assert (ins[0].address, ins[0].bytes, ins[0].mnemonic, ins[0].label) == (
        "0xfffff8800106f0f0",
        "fff3",
        "push",
        None,
    )
    assert ins[1].operands[1].kind == "immediate" and ins[1].operands[1].value == "0x30"
    assert ins[2].operands[1].value == "0xffffffffffffffff"
    assert (ins[3].target.symbol, ins[3].target.address) == (
        "fltmgr!TreeUnlinkMulti+0x123",
        "0xfffff8800106f213",
    )
    store = ins[4].operands[0]
    assert (store.kind, store.size, store.base, store.index, store.displacement) == (
        "memory",
        "qword ptr",
        "rsp",
        None,
        "0x58",
    )
    assert ins[4].text == "qword ptr [rsp+58h],r12"
    assert ins[5].target.symbol == "fltmgr! ?? ::FNODOBFM::`string'+0x504"
    assert (ins[6].mnemonic, ins[6].operands, ins[6].text, ins[6].target) == ("ret", [], "", None)


def test_faulting_instruction_with_memory_annotation() -> None:
    # seed/fltmgr-0x3b-session.txt line 31 (the register dump's current instruction)
    ins = parse_instruction(
        "fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]"
        " ds:002b:0000009d`00000020=????????????????"
    )
    assert ins is not None
    assert (ins.address, ins.bytes, ins.mnemonic, ins.text) == (
        "0xfffff8800106f141",
        "488b4620",
        "mov",
        "rax,qword ptr [rsi+20h]",
    )
    dst, src = ins.operands
    assert (dst.kind, dst.register) == ("register", "rax")
    assert (src.kind, src.size, src.segment, src.base, src.index, src.scale, src.displacement) == (
        "memory",
        "qword ptr",
        None,
        "rsi",
        None,
        None,
        "0x20",
    )
    note = ins.annotation
    assert (note.segment, note.selector, note.address) == ("ds", "0x2b", "0x9d00000020")
    assert (note.raw, note.value, note.size) == ("????????????????", None, 8)


def test_annotations_without_selector_and_readable() -> None:
    # issues/028 line 22; code/082 line 26; issues/133 line 7 (annotation after a wide gap)
    ins = parse_instruction(
        "00007ff9`7fd1ec35 8b19            mov     ebx,dword ptr [rcx] ds:00000000`00000000=????????"
    )
    assert (ins.annotation.selector, ins.annotation.address, ins.annotation.size) == (None, "0x0", 4)
    ins = parse_instruction(
        "fffff805`055fd5c0 48894c2408      mov     qword ptr [rsp+8],rcx"
        " ss:0018:ffffb905`7d8473a0=0000000000000124"
    )
    assert (ins.annotation.segment, ins.annotation.value, ins.annotation.size) == ("ss", "0x124", 8)
    ins = parse_instruction("739d0001 0fb642fb        movzx   eax,byte ptr [edx-5]       ds:002b:00c2fffb=??")
    assert (ins.operands[1].base, ins.operands[1].displacement) == ("edx", "-0x5")
    assert (ins.annotation.address, ins.annotation.raw, ins.annotation.size) == ("0xc2fffb", "??", 1)


def test_cut_annotation_is_kept_and_reported() -> None:
    # issues/012 lines 26-27: the paste ends inside the annotation
    parsed = parse(
        lines(
            "nt!KeBugCheckEx:\n"
            "fffff802`668280f0 48894c2408      mov     qword ptr [rsp+8],rcx ss:0018:ffffba8b`b7c9910\n",
            26,
        )
    )
    (ins,) = parsed.record.instructions
    assert ins.label == "nt!KeBugCheckEx"
    assert (ins.annotation.address, ins.annotation.raw) == ("0xffffba8bb7c9910", None)
    assert [d.line for d in parsed.diagnostics] == [27]


def test_labels_go_to_the_next_instruction() -> None:
    # code/001 lines 56-61 (`0:000> u` in a cdb script)
    text = (
        "ntdll!NtWaitForMultipleObjects+0x15:\n"
        "77e9016d 83c404          add     esp,4\n"
        "77e90170 c21400          ret     14h\n"
        "77e90173 90              nop\n"
        "ntdll!NtSetInformationObject:\n"
        "77e90174 b859000000      mov     eax,59h\n"
    )
    ins = parse(lines(text, 56)).record.instructions
    assert [(i.line, i.label) for i in ins] == [
        (57, "ntdll!NtWaitForMultipleObjects+0x15"),
        (58, None),
        (59, None),
        (61, "ntdll!NtSetInformationObject"),
    ]
    assert ins[1].operands[0].value == "0x14"


def test_label_with_source_and_inlined_frame() -> None:
    # code/006 lines 50-51
    text = (
        "js_dbg_32_dm_windows_62f79d676e0e!js::gc::IsInsideNursery+0x12 [c:\\users\\fuzz1win\\trees\\"
        "mozilla-central\\js\\src\\gc\\heap.h @ 1242] [inlined in js_dbg_32_dm_windows_62f79d676e0e!"
        "js::gc::TenuredCell::arena+0x13"
        " [c:\\users\\fuzz1win\\trees\\mozilla-central\\js\\src\\gc\\heap.h @ 1242]]:\n"
        "00ed6a63 8b00            mov     eax,dword ptr [eax]\n"
    )
    (ins,) = parse(lines(text, 50)).record.instructions
    assert ins.label == "js_dbg_32_dm_windows_62f79d676e0e!js::gc::IsInsideNursery+0x12"
    assert ins.source_file == "c:\\users\\fuzz1win\\trees\\mozilla-central\\js\\src\\gc\\heap.h"
    assert ins.source_line == 1242
    assert ins.inlined_in == "js_dbg_32_dm_windows_62f79d676e0e!js::gc::TenuredCell::arena+0x13"


def test_module_offset_label() -> None:
    # code/014 lines 60-61 (no symbols: `ntdll+0x3c7ec:`)
    (ins,) = parse(lines("ntdll+0x3c7ec:\n7752c7ec c21400          ret     14h\n", 60)).record.instructions
    assert ins.label == "ntdll+0x3c7ec"


def test_symbol_memory_operands() -> None:
    # code/002 lines 52-53, 56; code/003 line 63
    ins = parse_instruction("0134457a c705000000005c020000 mov dword ptr ds:[0],25Ch")
    op = ins.operands[0]
    assert (op.size, op.segment, op.base, op.displacement) == ("dword ptr", "ds", None, "0x0")
    assert ins.operands[1].value == "0x25c"
    ins = parse_instruction(
        "01344584 ff158070cb01    call    dword ptr"
        " [js_dbg_32_dm_windows_62f79d676e0e!_imp__GetCurrentProcess (01cb7080)]"
    )
    op = ins.operands[0]
    assert (op.symbol, op.displacement, op.base) == (
        "js_dbg_32_dm_windows_62f79d676e0e!_imp__GetCurrentProcess",
        "0x1cb7080",
        None,
    )
    assert ins.target is None  # an indirect call: the operand is the import slot
    ins = parse_instruction(
        "01344591 8a04c5d0e7b701  mov     al,byte ptr"
        " js_dbg_32_dm_windows_62f79d676e0e!js::CodeSpec (01b7e7d0)[eax*8]"
    )
    op = ins.operands[1]
    assert (op.size, op.symbol, op.displacement, op.base, op.index, op.scale) == (
        "byte ptr",
        "js_dbg_32_dm_windows_62f79d676e0e!js::CodeSpec",
        "0x1b7e7d0",
        None,
        "eax",
        8,
    )
    assert ins.operands[0].register == "al"
    ins = parse_instruction(
        "00000001`40144e83 488d15168ab600  lea    "
        " rdx,[js_dbg_64_dm_windows_62f79d676e0e!js::CodeSpec (00000001`40cad8a0)]"
    )
    assert ins.operands[1].displacement == "0x140cad8a0"


def test_base_index_scale_displacement() -> None:
    # code/067 lines 404, 430; code/095 line 88; code/039 line 67; issues/131 lines 22, 25
    cases = {
        "fffff807`3d05100e 488d6c24b9      lea     rbp,[rsp-47h]": ("rsp", None, None, "-0x47"),
        "fffff807`3d051074 66894c4505      mov     word ptr [rbp+rax*2+5],cx": ("rbp", "rax", 2, "0x5"),
        "801144c7 8d1c851c000000   lea  ebx,[0000001c+eax*4]": (None, "eax", 4, "0x1c"),
        "ffffdc0e`9ee66871 301c51          xor     byte ptr [rcx+rdx*2],bl": ("rcx", "rdx", 2, None),
        "775700dc 648b0d00000000   mov     ecx,fs:[00000000]": (None, None, None, "0x0"),
        "775700ec 894c2410         mov     [esp+0x10],ecx": ("esp", None, None, "0x10"),
    }
    for text, expected in cases.items():
        op = next(o for o in parse_instruction(text).operands if o.kind == "memory")
        assert (op.base, op.index, op.scale, op.displacement) == expected, text


def test_prefixes_and_string_operations() -> None:
    # code/112 line 32; code/111 line 23
    ins = parse_instruction(
        "fffff806`5d8e4793 f0480fba2b00    lock bts qword ptr [rbx],0 ds:00000000`00000000=????????????????"
    )
    assert (ins.prefixes, ins.mnemonic, ins.operands[0].base, ins.operands[1].value) == (
        ["lock"],
        "bts",
        "rbx",
        "0x0",
    )
    ins = parse_instruction("77d8e8e3 f3a5            rep movs dword ptr es:[edi],dword ptr [esi]")
    assert ins.prefixes == ["rep"]
    assert [(o.segment, o.base) for o in ins.operands] == [("es", "edi"), (None, "esi")]


def test_unreadable_and_undecodable() -> None:
    # issues/149 line 7 (segment:offset address); code/039 lines 56-57; code/085 line 26
    ins = parse_instruction("4141:4141 ??              ???")
    assert (ins.address_segment, ins.address, ins.bytes, ins.mnemonic) == ("0x4141", "0x4141", "??", "???")
    ins = parse_instruction("ffffdc0e`9ee6685c 0e              ???")
    assert (ins.bytes, ins.mnemonic, ins.operands) == ("0e", "???", [])
    ins = parse_instruction("ffffdc0e`9ee6685d dcff            fdiv    st(7),st")
    assert [o.register for o in ins.operands] == ["st(7)", "st"]
    ins = parse_instruction("00000000 ???????????????    [The current instruction pointer is NULL.]")
    assert (ins.address, ins.mnemonic, ins.note) == ("0x0", "", "[The current instruction pointer is NULL.]")


def test_whitespace_collapsed_and_old_number_style() -> None:
    # pages/025 line 29; code/094 lines 61, 63; code/097 lines 10-11 joined
    ins = parse_instruction("83f74359 66894602 mov word ptr [esi+2],ax ds:0023:00710056=????")
    assert (ins.mnemonic, ins.operands[0].base, ins.operands[0].displacement) == ("mov", "esi", "0x2")
    assert (ins.annotation.selector, ins.annotation.size) == ("0x23", 2)
    assert parse_instruction("8011a540 b810000000       mov     eax,0x10").operands[1].value == "0x10"
    assert parse_instruction("8011a549 cd2e             int     2e").operands[0].value == "0x2e"
    ins = parse_instruction("f71e9ec5 030d1c3c22f7 add ecx,[rdr!RdrFailedConnectTimeout (f7223c1c)]")
    assert (ins.operands[1].symbol, ins.operands[1].displacement) == (
        "rdr!RdrFailedConnectTimeout",
        "0xf7223c1c",
    )


def test_author_notes_after_operands() -> None:
    # code/069 lines 480-481; code/067 line 427 (uf `Branch`); code/095 lines 93, 105
    ins = parse_instruction(
        "fffff807`84da1145 ff15e50e0000    call    qword ptr [EvilDriver+0x2030"
        " (fffff807`84da2030)] --> nt!ZwWriteFile"
    )
    assert (ins.note, ins.operands[0].symbol) == ("--> nt!ZwWriteFile", "EvilDriver+0x2030")
    assert parse_instruction(
        "fffff807`84da114b ba31427257      mov     edx,57724231h --> This is the Pool Tag"
    ).note == ("--> This is the Pool Tag")
    ins = parse_instruction(
        "fffff807`3d051072 75f6            jne     Driver+0x106a (fffff807`3d05106a)  Branch"
    )
    assert (ins.note, ins.target.address) == ("Branch", "0xfffff8073d05106a")
    ins = parse_instruction("801144dd 83f810           cmp  eax,0x10   <----------------- Position 1 **")
    assert (ins.text, ins.note) == ("eax,0x10", "<----------------- Position 1 **")
    ins = parse_instruction("801144dc 0083f810760b     add  [ebx+0xb7610f8],al <---------- Position 2**")
    assert (ins.operands[0].displacement, ins.note) == ("0xb7610f8", "<---------- Position 2**")


def test_branch_targets() -> None:
    # code/006 lines 53, 58 (`push offset` is not a branch); a bare-number call (constructed)
    ins = parse_instruction(
        "00ed6a68 7457            je     "
        " js_dbg_32_dm_windows_62f79d676e0e!js::gc::TenuredCell::arena+0x71 (00ed6ac1)"
    )
    assert ins.target.address == "0xed6ac1"
    ins = parse_instruction(
        "00ed6a7a 6820ecae01      push    offset js_dbg_32_dm_windows_62f79d676e0e!`string' (01aeec20)"
    )
    assert (ins.operands[0].kind, ins.operands[0].symbol, ins.target) == (
        "address",
        "js_dbg_32_dm_windows_62f79d676e0e!`string'",
        None,
    )
    ins = parse_instruction("77e90170 e8fbffffff      call    77e90170")
    assert (ins.operands[0].kind, ins.target.address) == ("address", "0x77e90170")
    ins = parse_instruction("829b6a43 0f85aa000000    jne     nt!Foo+0x12 (829b6af3) [br=1]")
    assert (ins.branch_taken, ins.target.symbol) == (True, "nt!Foo+0x12")


def test_arm64() -> None:
    # constructed in the Microsoft ARM64 disassembler's syntax (no ARM64 listing in the corpus)
    text = (
        "nt!KiSystemServiceHandler:\n"
        "fffff800`12345678 a9bf7bfd stp         fp,lr,[sp,#-0x10]!\n"
        "fffff800`1234567c f9400a68 ldr         x8,[x19,#0x10]\n"
        "fffff800`12345680 b8a87928 ldrsw       x8,[x9,x8 lsl #2]\n"
        "fffff800`12345684 b8685928 ldr         w8,[x9,w8 uxtw #2]\n"
        "fffff800`12345688 f2b80008 movk        x8,#0xC000,lsl #0x10\n"
        "fffff800`1234568c 94001234 bl          nt!KeBugCheckEx (fffff800`12349ad4)\n"
        "fffff800`12345690 b5000060 cbnz        x0,nt!Foo+0x1c (fffff800`1234569c)\n"
        "fffff800`12345694 a8c17bfd ldp         fp,lr,[sp],#0x10\n"
    )
    parsed = parse(lines(text))
    assert parsed.diagnostics == []
    stp, ldr, ldrsw, ldrw, movk, bl, cbnz, ldp = parsed.record.instructions
    assert (stp.label, stp.bytes) == ("nt!KiSystemServiceHandler", "a9bf7bfd")
    op = stp.operands[2]
    assert (op.base, op.displacement, op.writeback) == ("sp", "-0x10", True)
    assert (ldr.operands[1].base, ldr.operands[1].displacement) == ("x19", "0x10")
    op = ldrsw.operands[1]
    assert (op.base, op.index, op.scale, op.shift, op.displacement) == ("x9", "x8", 4, "lsl", None)
    assert (ldrw.operands[1].index, ldrw.operands[1].shift, ldrw.operands[1].scale) == ("w8", "uxtw", 4)
    assert [(o.kind, o.value) for o in movk.operands] == [
        ("register", None),
        ("immediate", "0xc000"),
        ("shift", "0x10"),
    ]
    assert (bl.target.symbol, bl.target.address) == ("nt!KeBugCheckEx", "0xfffff80012349ad4")
    assert cbnz.target.address == "0xfffff8001234569c"
    assert [o.kind for o in ldp.operands] == ["register", "register", "memory", "immediate"]


def test_other_lines_become_diagnostics() -> None:
    # code/095 lines 69-72 (the command echoed under its prompt); issues/140 line 37 (cut);
    # issues/063 line 8 (an lm line taken for disassembly)
    text = (
        "u NT!_IoAllocateMdl NT!_IoAllocateMdl+0x50\n"
        "NT!_IoAllocateMdl:\n"
        "80114498 83ec04           sub  esp,0x4\n"
        "77d292a9 0f85b\n"
        "69c90000 69d24000   mscms      (deferred)\n"
        "NT!_Dangling:\n"
    )
    parsed = parse(lines(text, 70))
    assert [i.line for i in parsed.record.instructions] == [72]
    assert [d.line for d in parsed.diagnostics] == [70, 73, 74, 75]


def test_not_an_instruction() -> None:
    for text in (
        "",
        "Resetting default scope",
        "1900e4ec 5590b08d 0x5590b08d",
        "01814577  cc 6a 03 c7  .j..",
    ):
        assert parse_instruction(text) is None, text
    assert parse_instruction("mov     rax,qword ptr [rsi+20h]").operands[1].base == "rsi"


def test_empty_and_garbage() -> None:
    assert parse([]).record.instructions == [] and parse([]).diagnostics == []
    parsed = parse(lines("\x00\x01 ::: )))\n" + "f" * 5000 + "\nfffff880`0106f141 4c8b ] [ ,,,"))
    assert parsed.record.instructions == []
    assert len(parsed.diagnostics) == 3


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("0123456789abcdef`:[]+-*#!,() \tqwordptrmovxs?h{}="), max_size=60)
    )
)
def test_never_raises(texts: list[str]) -> None:
    parse([Line(i, t) for i, t in enumerate(texts, 1)])
    for t in texts:
        parse_instruction(t)
        parse_instruction("fffff880`0106f141 488b4620 " + t)


def _bodies() -> list[str]:
    """The instruction part of every disassembly-like line of the bundled and shared corpus."""
    folders = [CORPUS, SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [CORPUS]
    found = set()
    for path in (p for folder in folders for p in folder.glob("*/*.txt")):
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            head = _HEAD.match(text.strip())
            if head and head.group("body"):
                found.add(head.group("body"))
    return sorted(found)


def _same_tokens_as_grammar(body: str) -> None:
    plain = _plain_tokens(body)
    if plain is not None:
        assert plain == _grammar_tokens(body)[0], body


def test_plain_lines_read_as_the_grammar_reads_them() -> None:
    bodies = _bodies()
    assert sum(_plain_tokens(b) is not None for b in bodies) > 200
    for body in bodies:
        _same_tokens_as_grammar(body)


_PIECES = st.sampled_from([
    "mov", "rep", "lock", "lea", "call", "ret", "???", " ", "  ", ",", "rax", "al", "r9d", "fs", "lsl",
    "offset", "ffffffff", "30h", "0x10", "2e", "0FFh", "qword ptr ", "byte ptr ", "ds:", "[rax]",
    "[rsp+58h]", "[rbp-8]", "[rcx+rdx*2]", "[", "]", "nt!Foo+0x12 (fffff800`12345678)", "nt!X",
    "(01b7e7d0)", "ds:002b:0000009d`00000020=????????", "ss:00000000`00000000=0000", "[br=1]", "#0x10",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=8))
def test_plain_reading_agrees_with_the_grammar_on_generated_lines(pieces: list[str]) -> None:
    _same_tokens_as_grammar("".join(pieces).strip())


def _same_instruction_as_built_from_tokens(body: str) -> None:
    plain = disasm._PLAIN.fullmatch(body)
    tokens = _plain_tokens(body)
    assert (plain is None) == (tokens is None), body
    if plain is not None and tokens is not None:
        assert disasm._plain_instruction(plain) == disasm._build(tokens, body)[0], body


def test_plain_lines_are_built_as_from_their_tokens() -> None:
    # `_read_body` builds a plain line from its match, without `_plain_tokens`' tokens
    for body in _bodies():
        _same_instruction_as_built_from_tokens(body)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=8))
def test_plain_lines_are_built_as_from_their_tokens_on_generated_lines(pieces: list[str]) -> None:
    _same_instruction_as_built_from_tokens("".join(pieces).strip())


def _general_memory(text: str) -> disasm.Operand:
    """`_memory` without its short cut for the simplest operands."""
    simple = disasm._SIMPLE_MEMORY
    disasm._SIMPLE_MEMORY = re.compile(r"(?!)")
    try:
        return disasm._memory(text)
    finally:
        disasm._SIMPLE_MEMORY = simple


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["", "qword ptr ", "byte ptr ", "ab1 ptr ", "dword  ptr "]),
    st.sampled_from(["", "fs:", "gs:", "ds:"]),
    st.sampled_from(["rax", "r8", "esp", "x0", "a", "Rsp", "r_1"]),
    st.sampled_from(["", "+", "-"]),
    st.text(alphabet="0123456789abcdefABCDEFh`x", max_size=6),
)
def test_simple_memory_operands_read_as_the_general_reading(
    size: str, segment: str, base: str, sign: str, number: str
) -> None:
    text = f"{size}{segment}[{base}{sign}{number}]"
    assert disasm._memory(text) == _general_memory(text)


def test_simple_memory_operands_of_the_corpus_read_as_the_general_reading() -> None:
    operands = {
        token[1]
        for body in _bodies()
        if (tokens := _plain_tokens(body))
        for token in tokens
        if token[0] == "MEMORY"
    }
    assert sum(disasm._SIMPLE_MEMORY.fullmatch(text) is not None for text in operands) > 50
    for text in operands:
        assert disasm._memory(text) == _general_memory(text), text


def _same_as_read_in_three_steps(text: str) -> None:
    """`_PLAIN_LINE` matches a line exactly when `_HEAD`, `_NOT_MNEMONIC` and `_PLAIN` read it
    one after the other, with the same groups."""
    head = _HEAD.match(text)
    body = head["body"] if head else None
    plain = disasm._PLAIN.fullmatch(body) if body and not disasm._NOT_MNEMONIC.match(body) else None
    line = disasm._PLAIN_LINE.fullmatch(text)
    assert (line is None) == (plain is None), text
    if line is not None and head is not None and plain is not None:
        assert line.group("seg", "off", "addr", "bytes") == head.group("seg", "off", "addr", "bytes"), text
        assert line.group("MNEMONIC", "ops", "ANNOTATION") == plain.group("MNEMONIC", "ops", "ANNOTATION"), (
            text
        )


def test_plain_lines_are_read_in_one_match_on_the_corpus() -> None:
    folders = [CORPUS, SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [CORPUS]
    texts = {
        t.strip()
        for f in folders
        for p in f.glob("*/*.txt")
        for t in p.read_text(errors="replace").splitlines()
    }
    assert sum(disasm._PLAIN_LINE.fullmatch(t) is not None for t in texts) > 200
    for text in texts:
        _same_as_read_in_three_steps(text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["fffff880`0106f141", "77e9016d", "0010:1234", "fffff8800106f141", "0x8013cd0a", "123"]),
    st.sampled_from([" ", "  ", "\t"]),
    st.sampled_from(["488b4620", "cc", "??", "e8", "90"]),
    st.sampled_from([" ", "   ", ""]),
    st.lists(_PIECES, min_size=1, max_size=6),
)
def test_plain_lines_are_read_in_one_match_on_generated_lines(
    address: str, gap: str, code: str, blank: str, pieces: list[str]
) -> None:
    _same_as_read_in_three_steps(f"{address}{gap}{code}{blank}{''.join(pieces)}".strip())


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abcfstxluwroffsetmnlRA08_.?", min_size=1, max_size=7))
def test_register_pieces_are_told_as_the_register_regex_tells_them(piece: str) -> None:
    # `_plain_operands` tells a lowercase name without the REGISTER regex
    if piece[0].isdigit():
        return
    told = piece.isascii() and piece.isalnum() and piece.islower() and piece not in disasm._NOT_REGISTERS
    m = disasm._PLAIN_KIND["REGISTER"](piece)
    assert told == (m is not None and m.end() == len(piece)), piece
