"""From paste to reports: grouping into crashes, report-level facts, bad input."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.pipeline import MAX_LINE, InputTooLarge, parse_file, parse_text


def test_seed_session_report() -> None:
    (rep,) = parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")
    assert (rep.mode, rep.arch) == ("kernel", "x64")
    # the paste has no name line: the code comes from the bucket id X64_0x3B_…, the name from the table
    assert rep.bugcheck.code == "0x3b"
    assert rep.bugcheck.name == "SYSTEM_SERVICE_EXCEPTION"
    assert rep.bugcheck.args == ["0xc0000005", "0xfffff8800106f141", "0xfffff88005f45960", "0x0"]
    assert rep.exception.code == "0xc0000005"
    assert rep.process_name == "CarboniteServi"
    assert rep.image_name == "fltmgr.sys"
    assert rep.symbol_name == "fltmgr!TreeUnlinkMulti+51"
    (stack,) = rep.stacks
    assert (stack.origin, stack.command) == ("analyze", ".cxr 0xfffff88005f45960 ; kb")
    assert len(stack.frames) == 12
    top = stack.frames[0]
    assert (top.module, top.function, top.offset, top.line) == ("fltmgr", "TreeUnlinkMulti", "0x51", 41)
    assert (top.child_sp, top.ret_addr) == ("0xfffff88005f46330", "0xfffff8800106c460")
    assert top.args == ["0xfffffa8007a96920", "0xfffffa8007e5b550", "0xfffffa8007a96920", "0x0"]
    assert stack.frames[-1].address == "0x77320eba" and stack.frames[-1].module is None
    assert any("inferred from FAILURE_BUCKET_ID" in d.message for d in rep.diagnostics)


def test_case_study_holds_two_crashes() -> None:
    first, second = parse_file(CORPUS / "seed" / "case-study-article.txt")
    assert first.bugcheck.code == "0x3b"
    assert [s.origin for s in first.stacks] == ["analyze"]
    assert [s.command for s in second.stacks] == ["k"]
    assert second.stacks[0].frames[3].function == "RtlDeleteNoSplay"
    assert second.diagnostics[0].line == 103 and "processor 3" in second.diagnostics[0].message
    # the article goes back to the first crash (2: kd> dq @rcx l1 at line 187)
    assert any(b.command == "dq @rcx l1" and b.start_line == 187 for b in first.blocks)
    assert not any(b.start_line >= 187 for b in second.blocks)


def test_summary_then_verbose_is_one_crash() -> None:
    # code/079: the dump-open summary (BugCheck 3B, {...}) then `!analyze -v` of the same crash
    reports = parse_file(CORPUS / "code" / "079.txt")
    assert len(reports) == 1
    assert reports[0].bugcheck.code == "0x3b"


def test_second_dump_opened_after_a_crash_is_a_new_report() -> None:
    one = (CORPUS / "seed" / "fltmgr-second-crash-k.txt").read_text(encoding="utf-8")
    text = (
        "Microsoft (R) Windows Debugger Version 10.0.22621.755 AMD64\nLoading Dump File [C:\\a.dmp]\n"
        + one
        + "\nMicrosoft (R) Windows Debugger Version 10.0.22621.755 AMD64\nLoading Dump File [C:\\b.dmp]\n"
        + one
    )
    first, second = parse_text(text)
    assert second.source.start_line == 26  # 2 banner lines + 22 lines + a blank line
    assert "another dump is opened" in second.diagnostics[0].message
    assert len(first.stacks[0].frames) == len(second.stacks[0].frames) == 20


def test_empty_and_garbage() -> None:
    assert parse_text("") == []
    reports = parse_text("\x00\x01\x02 ���\n" * 50 + "ÿ" * 300)
    assert all(b.kind in ("unknown", "prose") for r in reports for b in r.blocks)
    assert all(r.bugcheck is None and r.exception is None for r in reports)


def test_hostile_line_is_cut_with_a_diagnostic() -> None:
    (rep,) = parse_text("kd> k\n" + "A" * (MAX_LINE * 3) + "\n")
    assert any(d.line == 2 and "cut to" in d.message for d in rep.diagnostics)


def test_oversized_input_is_refused() -> None:
    with pytest.raises(InputTooLarge):
        parse_text("x" * (64 * 1024 * 1024 + 1))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "2: kd> !analyze -v",
                "0:000> kb",
                "Child-SP          RetAddr           Call Site",
                "fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx",
                "FAILURE_BUCKET_ID:  X64_0x3B_x!y+1",
                "Arg1: 00000000c0000005, Exception code",
                "BugCheck 3B, {c0000005, 0, 0, 0}",
                "> quoted",
                "```",
                "    indented",
                "Followup: MachineOwner",
                "",
                "Loading Dump File [x]",
                "3: kd> k",
            ]
        )
        | st.text(max_size=80),
        max_size=40,
    )
)
def test_never_raises(pieces: list[str]) -> None:
    for rep in parse_text("\n".join(pieces)):
        assert rep.source.start_line <= rep.source.end_line


def test_seed_session_every_block_typed_with_its_evidence() -> None:
    # issue 3: no unknown block in the seed session, and the values the next stage reasons over
    (rep,) = parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")
    assert [b.kind for b in rep.blocks] == [
        "analyze", "disasm", "memory", "pool", "dt", "dt", "expr", "dt", "dt", "dt", "pool", "dt", "dt",
    ]  # fmt: skip
    analysis = rep.blocks[0].record
    assert analysis.context.registers["rsi"] == "0x9d00000000"  # line 24: rsi=0000009d00000000
    assert analysis.context.registers["rcx"] == "0xfffffa8008e13318"
    operand = analysis.instruction.operands[1]  # mov rax,qword ptr [rsi+20h]
    assert (operand.base, operand.displacement, operand.size) == ("rsi", "0x20", "qword ptr")
    dq = rep.blocks[2].record  # line 113: fffffa80`08e13318  fffff8a0`0d106d58
    assert (dq.rows[0].address, dq.rows[0].values) == ("0xfffffa8008e13318", ["0xfffff8a00d106d58"])
    pool = rep.blocks[3].record
    (hit,) = [e for e in pool.entries if e.highlighted]  # line 121: *fffffa8008e13270 size: c0 … *FMsl
    assert (hit.address, hit.size, hit.tag) == ("0xfffffa8008e13270", "0xc0", "FMsl")
    node = rep.blocks[-1].record  # dt fltmgr!_NAME_CACHE_NODE fffff8a00d106d40 /b
    tree_link = next(f for f in node.fields if f.name == "TreeLink")
    link = next(f for f in tree_link.children if f.name == "Link")
    parent = next(f for f in link.children if f.name == "Parent")  # three levels deep
    assert (parent.offset, parent.number) == ("0x0", "0xfffff8890d106d58")
    assert rep.blocks[6].record.value == "0x98"  # Evaluate expression: 152 = 00000000`00000098
