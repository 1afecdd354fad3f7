"""Paste repair: each repair kind on a snippet copied from a real paste (file named in a comment),
checking the repaired text, the original line numbers and the `Repair` records; then the seed
session's wrapped frames, the whole shared corpus, and garbage / property tests."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.model import Line, Repair
from crashsift.repair import repair

SHARED = Path(__file__).parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not SHARED.is_dir(), reason="shared corpus not present")


def texts(text: str) -> list[str]:
    return [line.text for line in repair(text).lines]


def numbers(text: str) -> list[int]:
    return [line.no for line in repair(text).lines]


def check_numbers(text: str, allow_repeats: bool = False) -> None:
    nos = numbers(text)
    total = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    assert all(1 <= n <= total for n in nos)
    if allow_repeats:
        assert nos == sorted(nos)
    else:
        assert all(a < b for a, b in itertools.pairwise(nos))


# --- line endings, BOM, whitespace --------------------------------------------------------------


def test_crlf_bom_and_trailing_whitespace() -> None:
    # issues/140: every line ended with two spaces (markdown hard breaks); here also CRLF + BOM.
    text = "\ufeff0:000:x86> kp  \r\n\t\r\n # ChildEBP RetAddr  \r\n"
    r = repair(text)
    assert r.lines == [Line(1, "0:000:x86> kp"), Line(2, ""), Line(3, " # ChildEBP RetAddr"), Line(4, "")]
    assert r.repairs == [Repair("bom", 1, 1, 1, "U+FEFF"), Repair("line-ending", 1, 4, 3, "CRLF")]


def test_lone_cr_line_endings() -> None:
    r = repair("kd> k\rChildEBP RetAddr\r")
    assert r.lines == [Line(1, "kd> k"), Line(2, "ChildEBP RetAddr"), Line(3, "")]
    assert r.repairs == [Repair("line-ending", 1, 3, 2, "CR")]


def test_empty_input() -> None:
    assert repair("").lines == [Line(1, "")]
    assert repair("").repairs == []


def test_lone_backtick() -> None:
    # Found by the property test: a paste that is only the inline-code backtick.
    assert repair("`").lines == [Line(1, "")]


# --- characters ---------------------------------------------------------------------------------


def test_curly_quotes() -> None:
    # pages/020 line 14: the forum turned the straight quotes of !fltkd output into curly ones.
    text = "   FLT_VOLUME: ffffe001`2e4a1010 \u201c\\Device\\Mup\u201d"
    r = repair(text)
    assert texts(text) == ['   FLT_VOLUME: ffffe001`2e4a1010 "\\Device\\Mup"']
    assert r.repairs == [Repair("unicode", 1, 1, 1, "U+201C U+201D")]


def test_en_dash_and_nbsp() -> None:
    # seed/case-study-article.txt: '!analyze –v' with an en dash, non-breaking spaces in prose.
    text = "I ran !analyze \u2013v on the\u00a0dump"
    assert texts(text) == ["I ran !analyze -v on the dump"]
    assert repair(text).repairs == [Repair("unicode", 1, 1, 1, "U+00A0 U+2013")]


def test_zero_width_removed_and_ellipsis() -> None:
    # pages/017: '<snip…>' with a unicode ellipsis; a zero-width space (forum word-break) removed.
    assert texts("<snip\u2026>\nnt!Ke\u200bBugCheckEx") == ["<snip...>", "nt!KeBugCheckEx"]


def test_times_sign_only_in_hex() -> None:
    # pages/014 lines 1-2: WordPress printed '+0×2f' for '+0x2f'; a real '×' elsewhere stays.
    text = (
        "b88dccb8 804e1bf2 nt!KiSwapContext+0\u00d72f\n"
        "b88dccc4 804e1c3e nt!KiSwapThread+0\u00d78a\n"
        "2 \u00d7 3"
    )
    r = repair(text)
    assert texts(text) == [
        "b88dccb8 804e1bf2 nt!KiSwapContext+0x2f",
        "b88dccc4 804e1c3e nt!KiSwapThread+0x8a",
        "2 \u00d7 3",
    ]
    assert r.repairs == [Repair("times-sign", 1, 2, 2, "")]


def test_html_entities() -> None:
    # issues/156 line 8: '&gt;' for the Visual Studio current-frame marker.
    text = "ntdll.dll!7752ec63() \t\n&gt;\tmsvcr71.dll!_heap_alloc(unsigned int size=2002134087)  Line 212"
    r = repair(text)
    assert r.lines[1] == Line(2, ">\tmsvcr71.dll!_heap_alloc(unsigned int size=2002134087)  Line 212")
    assert r.repairs == [Repair("html-entity", 2, 2, 1, "")]


def test_ampersand_without_entity_is_kept() -> None:
    # issues/149: a debugger expression with '&'.
    assert texts("0: kd> ? (@cr4 & 0x100000)") == ["0: kd> ? (@cr4 & 0x100000)"]


def test_details_and_summary_lines_dropped() -> None:
    # issues/013 lines 1-3: the paste sits in <details><summary>Exception</summary>.
    text = "<details>\n  <summary>Exception</summary>\nExceptionAddress: fffff806c10fb240 (nt!KeBugCheckEx)"
    r = repair(text)
    assert r.lines == [Line(3, "ExceptionAddress: fffff806c10fb240 (nt!KeBugCheckEx)")]
    assert r.repairs == [Repair("html-tag", 1, 2, 2, "")]


def test_pre_and_br() -> None:
    # issues/028 was wrapped in <pre>; <br> at a line end is removed, inside a line it splits it.
    text = "<pre>0:006> !analyze -v<br>\nFAULTING_IP: <br/>clr!COMString::UseRandomizedHashing+0x1f\n</pre>"
    r = repair(text)
    assert r.lines == [
        Line(1, "0:006> !analyze -v"),
        Line(2, "FAULTING_IP:"),
        Line(2, "clr!COMString::UseRandomizedHashing+0x1f"),
    ]
    assert r.repairs == [Repair("html-tag", 1, 3, 3, "")]


def test_template_brackets_are_not_tags() -> None:
    # code/021 line 154 and pages/010: C++ templates and '<unnamed-tag>' are not HTML.
    text = "jscript9!Js::InterpreterStackFrame::InterpreterThunk<1>+0x386\n+0x000 u1 : <unnamed-tag>"
    assert texts(text) == text.split("\n")


def test_forum_colour_tags() -> None:
    # pages/008 lines 22-23: BBCode colour tags inside the debugger text.
    text = (
        "For analysis of this file, run [/COLOR][COLOR=rgba(0, 0, 255, 1)]!analyze -v\n"
        "[/COLOR][COLOR=rgba(30, 30, 30, 1)]nt!KeBugCheckEx:\n"
        "[CODE]"
    )
    r = repair(text)
    assert r.lines == [Line(1, "For analysis of this file, run !analyze -v"), Line(2, "nt!KeBugCheckEx:")]
    assert r.repairs == [Repair("forum-tag", 1, 3, 3, "")]


def test_debugger_brackets_are_not_forum_tags() -> None:
    # issues/014, issues/180, code/039, issues/054: brackets WinDbg prints itself.
    lines = [
        "    [+0x168] CachedFileObject : 0x0 [Type: void *]",
        "[0x0]   nt!KeBugCheck2+0x154   0xfffffa8e029adcc0   0xfffff8003e9e4668",
        "fffff801`1a2b3c4d nt!KiTrap0E+0x2e [inlined in nt!KiPageFault+0x2e]",
        "00 ffff8a0f`f2f3e6a8 fffff803`0fe1b7e2 wdf01000!Mx::MxBugCheckEx [d:\\wdf\\mx.h @ 123]",
    ]
    assert texts("\n".join(lines)) == lines


def test_apostrophe_for_backtick() -> None:
    # pages/010 lines 5-6: every backtick of a 64-bit address became an apostrophe.
    text = "+0x010 PteAddress : 0xfffff6fb'400c76d8 _MMPTE\n+0x01e VaType : 0 ''"
    r = repair(text)
    assert texts(text) == ["+0x010 PteAddress : 0xfffff6fb`400c76d8 _MMPTE", "+0x01e VaType : 0 ''"]
    assert r.repairs == [Repair("apostrophe-backtick", 1, 1, 1, "")]


# --- markdown and mail --------------------------------------------------------------------------


def test_code_fences_two_and_four_backticks() -> None:
    # issues/054 lines 18-23: a ``` fence closes, a ```` fence opens.
    text = "Arg4: ffffdb0a7eaa3010, Reserved.\n```\n\n````\n2: kd> k\n # Child-SP          RetAddr\n````"
    r = repair(text)
    assert r.lines == [
        Line(1, "Arg4: ffffdb0a7eaa3010, Reserved."),
        Line(3, ""),
        Line(5, "2: kd> k"),
        Line(6, " # Child-SP          RetAddr"),
    ]
    assert r.repairs == [
        Repair("code-fence", 2, 2, 1, "```"),
        Repair("code-fence", 4, 4, 1, "````"),
        Repair("code-fence", 7, 7, 1, "````"),
    ]


def test_labelled_fence() -> None:
    # issues/058 line 9: '```shell' before '2: kd> k'.
    r = repair("```shell\n2: kd> k\n```")
    assert r.lines == [Line(2, "2: kd> k")]
    assert r.repairs == [Repair("code-fence", 1, 1, 1, "```shell"), Repair("code-fence", 3, 3, 1, "```")]


def test_fence_glued_to_code() -> None:
    # issues/104 line 1: '```kd> !analyze -v'; a closing fence glued to the last line.
    r = repair("```kd> !analyze -v\nIMAGE_NAME:  ntkrpamp.exe```")
    assert r.lines == [Line(1, "kd> !analyze -v"), Line(2, "IMAGE_NAME:  ntkrpamp.exe")]
    assert r.repairs == [Repair("code-fence", 1, 2, 2, "glued to code")]


def test_tilde_fence_guards_escapes_and_mid_line_backticks_stay() -> None:
    # A `~~~` fence: its markdown escapes stay, those outside go; a ``` inside a line is no fence.
    text = "kd> \\!analyze\n~~~\nC:\\x\\!y\n~~~\nsee ``` here"
    r = repair(text)
    assert r.lines == [Line(1, "kd> !analyze"), Line(3, "C:\\x\\!y"), Line(5, "see ``` here")]
    assert [(x.kind, x.first_line) for x in r.repairs] == [
        ("markdown-escape", 1),
        ("code-fence", 2),
        ("code-fence", 4),
    ]


def test_quote_prefix_run() -> None:
    # issues/061 lines 9-14: a mail reply, every line '> ', blank lines became '>'.
    text = "> Debugging Details:\n>\n> KEY_VALUES_STRING: 1\n>\n> Key  : Analysis.CPU.mSec\n> Value: 1281"
    r = repair(text)
    assert texts(text) == [
        "Debugging Details:",
        "",
        "KEY_VALUES_STRING: 1",
        "",
        "Key  : Analysis.CPU.mSec",
        "Value: 1281",
    ]
    assert numbers(text) == [1, 2, 3, 4, 5, 6]
    assert r.repairs == [Repair("quote-prefix", 1, 6, 6, "")]


def test_nested_quotes() -> None:
    r = repair(">> > Arg1: 0000000000000004\n> > Arg2: fffff80674aac510")
    assert [line.text for line in r.lines] == ["Arg1: 0000000000000004", "Arg2: fffff80674aac510"]


def test_single_quoted_shortened_prompt_is_kept() -> None:
    # issues/132 lines 1-3: '> kn' is the user's shortened prompt, not a quote.
    text = "> kn\n # ChildEBP RetAddr\n00 24c47c68 71e92f5c ntdll!NtRaiseHardError+0x12"
    assert texts(text) == ["> kn", " # ChildEBP RetAddr", "00 24c47c68 71e92f5c ntdll!NtRaiseHardError+0x12"]
    assert repair(text).repairs == []


def test_single_quoted_prompt_is_unquoted() -> None:
    # issues/100 line 4: only the command lines were quoted.
    r = repair("> 16.0: kd> r rsp\nrsp=000000000817d0b8")
    assert r.lines[0] == Line(1, "16.0: kd> r rsp")
    assert r.repairs == [Repair("quote-prefix", 1, 1, 1, "before a prompt")]


def test_single_quoted_line_of_an_all_quoted_paste() -> None:
    # Every non-blank line quoted, runs one line long: the quote marks go all the same.
    r = repair(">Arg1: 0000000000000004\n\n> Arg2: fffff80674aac510")
    assert [line.text for line in r.lines] == ["Arg1: 0000000000000004", "", "Arg2: fffff80674aac510"]
    assert r.repairs == [Repair("quote-prefix", 1, 1, 1, ""), Repair("quote-prefix", 3, 3, 1, "")]


def test_irp_current_marker_is_kept() -> None:
    # issues/146 line 5: '>' marks the current IRP stack location.
    text = " [N/A(0), N/A(0)]\n>[IRP_MJ_FILE_SYSTEM_CONTROL(d), N/A(0)]\n            0  1 00000000"
    assert texts(text) == text.split("\n")


def test_escaped_backticks_in_quoted_paste() -> None:
    # issues/144 lines 17-18: a '> ' quoted paste with markdown-escaped backticks.
    text = "> Machine Name:\n> Kernel base = 0xfffff803\\`7b210000 PsLoadedModuleList = 0xfffff803\\`7b4e9850"
    r = repair(text)
    assert texts(text) == [
        "Machine Name:",
        "Kernel base = 0xfffff803`7b210000 PsLoadedModuleList = 0xfffff803`7b4e9850",
    ]
    assert r.repairs == [Repair("quote-prefix", 1, 2, 2, ""), Repair("markdown-escape", 2, 2, 1, "")]


def test_markdown_escapes() -> None:
    # issues/156 lines 1 and 8 (after the entity): '\!', '\(', '\)', '\_' escapes.
    text = (
        "python26.dll\\!1e006c6d\\(\\) \t\n"
        "&gt;\tmsvcr71.dll\\!\\_heap\\_alloc\\(unsigned int size=2002134087\\)"
    )
    assert texts(text) == [
        "python26.dll!1e006c6d()",
        ">\tmsvcr71.dll!_heap_alloc(unsigned int size=2002134087)",
    ]


def test_path_backslashes_without_markdown_evidence_are_kept() -> None:
    # A path with '\_' in a paste showing no other escape is a path, not markdown.
    text = "01 fffff880`05f46380 fffff880`0106cbe9 mydrv!Foo+0x12 [e:\\_work\\1\\s\\drv.c @ 42]"
    assert texts(text) == [text]


def test_leading_inline_code_backtick() -> None:
    # issues/111 line 1: the paste starts with a backtick.
    r = repair(
        "`0: kd> !analyze -v\n*******************************************************************************"
    )
    assert r.lines[0] == Line(1, "0: kd> !analyze -v")
    assert r.repairs == [Repair("inline-code", 1, 1, 1, "")]


def test_closing_inline_backtick_leaves_no_trailing_blanks() -> None:
    # Found by differential fuzzing: '`\n\t`' raised IndexError (removing the closing backtick
    # left a tab-only line, which the whole-paste indent repair emptied, then found no line in).
    r = repair("`\n\t`")
    assert r.lines == [Line(1, ""), Line(2, "")]
    assert r.repairs == [Repair("inline-code", 1, 2, 2, "")]
    assert texts("`0: kd> k\nnt!Foo+0x1 `") == ["0: kd> k", "nt!Foo+0x1"]


def test_whole_paste_indented_four_spaces() -> None:
    # issues/181 lines 1-3: a markdown indented code block.
    text = (
        "    STACK_TEXT:  \n"
        "    ffffd006`92757618 fffff804`26b5ae43 : 00000000`000000c4 00000000`00002000 fffff802`da2d33e8 "
        "00000000`00000000 : nt!KeBugCheckEx\n"
    )
    r = repair(text)
    assert texts(text)[0] == "STACK_TEXT:"
    assert texts(text)[1].startswith("ffffd006`92757618 fffff804`26b5ae43 : ")
    assert r.repairs == [Repair("indented-code", 1, 2, 2, "4 spaces")]


def test_tab_indent_keeps_deeper_tabs() -> None:
    # code/109 lines 1-5: TAB-indented code; the argument continuation had two tabs.
    text = (
        "\tDRIVER_POWER_STATE_FAILURE (9f)\n"
        "\tArguments:\n"
        "\tArg1: 00000004, The power transition timed out waiting to synchronize with the Pnp\n"
        "\t\tsubsystem."
    )
    assert texts(text) == [
        "DRIVER_POWER_STATE_FAILURE (9f)",
        "Arguments:",
        "Arg1: 00000004, The power transition timed out waiting to synchronize with the Pnp",
        "\tsubsystem.",
    ]


def test_indented_blocks_after_unindented_banner() -> None:
    # code/028 lines 1, 7-8 and 16-18: banner not indented, later blocks indented by markdown;
    # dt's own 3-space field indent stays.
    text = (
        "kd>!analyze -v\n"
        "\n"
        "    DRIVER_POWER_STATE_FAILURE (9f)\n"
        "\n"
        "    0: kd> dt nt!_TRIAGE_9F_POWER fffff8000386c3d8\n"
        "       +0x000 Signature        : 0x8000"
    )
    r = repair(text)
    assert texts(text) == [
        "kd>!analyze -v",
        "",
        "DRIVER_POWER_STATE_FAILURE (9f)",
        "",
        "0: kd> dt nt!_TRIAGE_9F_POWER fffff8000386c3d8",
        "   +0x000 Signature        : 0x8000",
    ]
    assert r.repairs == [Repair("indented-code", 3, 6, 3, "4 spaces")]


def test_tab_indented_blocks_after_unindented_banner() -> None:
    # As code/028, with tabs: the `Arguments:` block proves the tab; the deeper block keeps its own.
    text = "kd> !analyze -v\n\n\tArguments:\n\tArg1: 00000004\n\n\t\tsubsystem.\n\n\tFollowup: MachineOwner"
    r = repair(text)
    assert texts(text) == [
        "kd> !analyze -v",
        "",
        "Arguments:",
        "Arg1: 00000004",
        "",
        "\tsubsystem.",
        "",
        "Followup: MachineOwner",
    ]
    assert r.repairs == [Repair("indented-code", 3, 8, 4, "tab")]


def test_marked_line_right_after_a_deeper_one() -> None:
    # The block's `STACK_TEXT:` at its own indent proves the tab, though the line before it (one
    # tab deeper) looks unindented too.
    text = "kd> k\n\n\t\tFAULTING_IP:\n\tSTACK_TEXT:\n\nend"
    assert texts(text) == ["kd> k", "", "\tFAULTING_IP:", "STACK_TEXT:", "", "end"]
    assert repair(text).repairs == [Repair("indented-code", 3, 4, 2, "tab")]


def test_debugger_indentation_is_kept() -> None:
    # issues/061 (unquoted) and the seed: KEY_VALUES pairs and ' r8=' keep their indentation.
    text = "KEY_VALUES_STRING: 1\n\n    Key  : Analysis.CPU.mSec\n    Value: 1281\n\n r8=ffffffffffffffff"
    assert texts(text) == text.split("\n")
    assert repair(text).repairs == []


# --- wrapped lines ------------------------------------------------------------------------------


def test_x64_frame_wrapped_after_arguments() -> None:
    # seed/fltmgr-0x3b-session.txt lines 41-44.
    text = (
        "fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920 fffffa80`07e5b550 fffffa80`07a96920\n"
        " 00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51\n"
        "fffff880`05f46380 fffff880`0106cbe9 : fffff880`05f48000 00000000`00000002 00000000`00000000 \n"
        "00000000`00000000 : fltmgr!FltpPerformPreCallbacks+0x730"
    )
    r = repair(text)
    assert r.lines == [
        Line(
            1,
            "fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920 fffffa80`07e5b550 fffffa80`07a96920 "
            "00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51",
        ),
        Line(
            3,
            "fffff880`05f46380 fffff880`0106cbe9 : fffff880`05f48000 00000000`00000002 00000000`00000000 "
            "00000000`00000000 : fltmgr!FltpPerformPreCallbacks+0x730",
        ),
    ]
    assert r.repairs == [Repair("wrapped-line", 1, 4, 2, "frame arguments")]


def test_full_frames_are_not_joined() -> None:
    # code/021 lines 149-150: two complete frames.
    text = (
        "000000bc`aeaaa440 00007ff8`c045e70d : 00010000`80000000 00010000`ffffffff 000000bc`a8524380 "
        "ffff0000`00000000 : jscript9!Js::TaggedInt::Divide+0x7f\n"
        "000000bc`aeaaa480 00007ff8`c045e6c5 : 000000bc`aeaaac70 00010000`80000000 00010000`ffffffff "
        "000000bc`a8524380 : jscript9!Js::InterpreterStackFrame::ProfiledDivide+0x2d"
    )
    assert texts(text) == text.split("\n")


@needs_corpus
def test_seed_session_frames_joined() -> None:
    r = repair((SHARED / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8"))
    frames = [line for line in r.lines if line.text.count(" : ") == 2 and "`" in line.text]
    assert [f.no for f in frames] == [41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63]
    assert frames[0].text.endswith("fffffa80`07a96920 00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51")
    assert frames[-1].text == (
        "00000000`0121e778 00000000`00000000 : 00000000`00000000 00000000`00000000 00000000`00000000 "
        "00000000`00000000 : 0x77320eba"
    )
    assert [x for x in r.repairs if x.kind == "wrapped-line"] == [
        Repair("wrapped-line", 41, 64, 12, "frame arguments")
    ]


def test_x86_frame_call_site_and_fpo_on_next_lines() -> None:
    # code/094 lines 3-8: a 1990s KB article wrapped at ~75 columns.
    text = (
        "fe4a36f4 80115c85 00000004 8046e768 00000118\n"
        "ntkrnlmp!RtlpBreakWithStatusInstruction (FPO: [1,0,0])\n"
        "fe4a386c 80134f2f 00000093 00000118 00000001\n"
        "ntkrnlmp!KeBugCheckEx+0x1e7(FPO: [Non-Fpo]\n"
        "fe4a3898 8013e6de 00000118 00000340 82f5bee0 ntkrnlmp!NtClose+0x1d5 (FPO:\n"
        "[EBP 0xfe4a38a4] [1,1,4])"
    )
    r = repair(text)
    assert r.lines == [
        Line(
            1,
            "fe4a36f4 80115c85 00000004 8046e768 00000118 "
            "ntkrnlmp!RtlpBreakWithStatusInstruction (FPO: [1,0,0])",
        ),
        Line(3, "fe4a386c 80134f2f 00000093 00000118 00000001 ntkrnlmp!KeBugCheckEx+0x1e7(FPO: [Non-Fpo]"),
        Line(
            5,
            "fe4a3898 8013e6de 00000118 00000340 82f5bee0 "
            "ntkrnlmp!NtClose+0x1d5 (FPO: [EBP 0xfe4a38a4] [1,1,4])",
        ),
    ]
    assert r.repairs == [Repair("wrapped-line", 1, 6, 3, "frame call site; frame annotation")]


def test_fpo_split_mid_word() -> None:
    # code/094 lines 32-33: '[Non-' / 'Fpo]' joined without a space.
    text = "fe4a3b2c 80111f0b 804557e0 803da1c8 803da1d8 mup!MupCreate+0xd1(FPO: [Non-\nFpo]"
    assert texts(text) == ["fe4a3b2c 80111f0b 804557e0 803da1c8 803da1d8 mup!MupCreate+0xd1(FPO: [Non-Fpo]"]


def test_complete_fpo_annotation_is_not_joined() -> None:
    # code/094: a frame whose `(FPO: …)` is closed is complete; the next line is its own.
    text = "fe4a3b2c 80111f0b 804557e0 803da1c8 803da1d8 mup!MupCreate+0xd1 (FPO: [Non-Fpo])\nFpo]"
    assert texts(text) == text.split("\n")
    assert repair(text).repairs == []


def test_split_offset() -> None:
    # code/096 lines 30-32: call site on the next line, its offset's last digit on the one after.
    text = "fef97dec 80107aea feffc040 ff0981d8 ff0981d8\nsfmatalk!_AtalkDispatchClose+0x5\n1"
    r = repair(text)
    assert r.lines == [
        Line(1, "fef97dec 80107aea feffc040 ff0981d8 ff0981d8 sfmatalk!_AtalkDispatchClose+0x51")
    ]
    assert r.repairs == [Repair("wrapped-line", 1, 3, 2, "frame call site; split offset")]


def test_x86_register_rows() -> None:
    # code/094 lines 46-52: '.trap' registers wrapped mid-row.
    text = (
        "eax=804183e8 ebx=fe32ac28 ecx=00000000 edx=fe4a3f04 esi=80455454\n"
        "edi=8045544c\n"
        "eip=8011a53b esp=fe4a3918 ebp=80455448 iopl=0         nv up ei ng nz na pe\n"
        "nc\n"
        "vip=0    vif=0\n"
        "cs=0008  ss=0010  ds=75ef  es=0000  fs=0030  gs=aa44\n"
        "efl=00000282"
    )
    r = repair(text)
    assert r.lines == [
        Line(1, "eax=804183e8 ebx=fe32ac28 ecx=00000000 edx=fe4a3f04 esi=80455454 edi=8045544c"),
        Line(3, "eip=8011a53b esp=fe4a3918 ebp=80455448 iopl=0         nv up ei ng nz na pe nc"),
        Line(5, "vip=0    vif=0"),
        Line(6, "cs=0008  ss=0010  ds=75ef  es=0000  fs=0030  gs=aa44 efl=00000282"),
    ]
    assert r.repairs == [
        Repair("wrapped-line", 1, 4, 2, "register row; register flags"),
        Repair("wrapped-line", 6, 7, 1, "register row"),
    ]


def test_register_flags_wrapped_after_several_words() -> None:
    # A mail client wrapped the flags at 60 columns: the rest (`ei pl zr na pe nc`, `ei` not a
    # register) joins its row; `ends` maps the row to its last piece.
    text = (
        "eax=00000000 ebx=00000000 ecx=00000000 edx=00000000 esi=0000\n"
        "eip=77e9016d esp=0034e75c ebp=0034e7f8 iopl=0         nv up\n"
        "ei pl zr na pe nc\n"
        "cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b\n"
        "efl=00000246"
    )
    r = repair(text)
    assert r.lines == [
        Line(1, "eax=00000000 ebx=00000000 ecx=00000000 edx=00000000 esi=0000"),
        Line(2, "eip=77e9016d esp=0034e75c ebp=0034e7f8 iopl=0         nv up ei pl zr na pe nc"),
        Line(4, "cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b efl=00000246"),
    ]
    assert r.ends == {2: 3, 4: 5}
    assert r.repairs == [Repair("wrapped-line", 2, 5, 2, "register flags; register row")]


def test_complete_x64_registers_are_not_joined() -> None:
    # seed/fltmgr-0x3b-session.txt lines 22-29.
    text = (
        "rax=fffffaf7072f96b0 rbx=0000000000000000 rcx=fffffa8008e13318\n"
        "rdx=fffffa8007e5b550 rsi=0000009d00000000 rdi=0000000000000000\n"
        " r8=ffffffffffffffff  r9=ffffffffffffffff r10=fffffffffffffe4a\n"
        "iopl=0         nv up ei pl nz na po nc\n"
        "cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00010206"
    )
    assert texts(text) == text.split("\n")


def test_frame_and_call_site_across_blank_lines() -> None:
    # code/084 lines 85-89 (indent removed): the blog split a frame into paragraphs.
    text = "bad17c50 bac914d7 88d851e8 00000000 883a8030\n\nmydriver+0x199e\n\n    \n"
    r = repair(text)
    assert r.lines[0] == Line(1, "bad17c50 bac914d7 88d851e8 00000000 883a8030 mydriver+0x199e")
    assert [line.no for line in r.lines] == [1, 4, 5, 6]
    assert Repair("wrapped-line", 1, 3, 1, "frame call site after blank lines") in r.repairs


def test_x86_dd_rows_are_not_frames() -> None:
    # A dd listing has the x86 frame shape but the next line is not a call site.
    text = "8046abc8  00000000 00000000 00000000 00000000\n8046abd8  00000001 00000000 00000000 00000000"
    assert texts(text) == text.split("\n")


CODE_023 = """\
ExceptionAddress: 0000000000fd13de (ConsoleApplication2!crash+0x000000000000001e
)
   ExceptionCode: c0000005 (Access violation)
STACK_TEXT:
002df7e4 00fd1423 00fd1078 00fd1078 7f956000 ConsoleApplication2!crash+0x1e
002df908 00fd1b5d 002df924 766b7c04 7f956000 ConsoleApplication2!__tmainCRTStart
up+0x199
002df910 766b7c04 7f956000 766b7be0 70f6b3dc ConsoleApplication2!wmainCRTStartup
+0xd
002df924 770bad1f 7f956000 719abd8a 00000000 KERNEL32!BaseThreadInitThunk+0x24
BUCKET_ID:  APPLICATION_FAULT_NULL_POINTER_READ_ZEROED_STACK_consoleapplication2
!crash+1e
"""


def test_hard_wrap_at_80_columns() -> None:
    # code/023 lines 16-18, 59-66, 97-98: a capture hard-wrapped at 80 columns, mid-symbol.
    r = repair(CODE_023)
    assert r.lines == [
        Line(1, "ExceptionAddress: 0000000000fd13de (ConsoleApplication2!crash+0x000000000000001e)"),
        Line(3, "   ExceptionCode: c0000005 (Access violation)"),
        Line(4, "STACK_TEXT:"),
        Line(5, "002df7e4 00fd1423 00fd1078 00fd1078 7f956000 ConsoleApplication2!crash+0x1e"),
        Line(6, "002df908 00fd1b5d 002df924 766b7c04 7f956000 ConsoleApplication2!__tmainCRTStartup+0x199"),
        Line(8, "002df910 766b7c04 7f956000 766b7be0 70f6b3dc ConsoleApplication2!wmainCRTStartup+0xd"),
        Line(10, "002df924 770bad1f 7f956000 719abd8a 00000000 KERNEL32!BaseThreadInitThunk+0x24"),
        Line(11, "BUCKET_ID:  APPLICATION_FAULT_NULL_POINTER_READ_ZEROED_STACK_consoleapplication2!crash+1e"),
        Line(13, ""),
    ]
    assert [(x.first_line, x.last_line, x.count) for x in r.repairs] == [(1, 2, 1), (6, 9, 2), (11, 12, 1)]
    assert {x.kind for x in r.repairs} == {"wrapped-line"}


def test_one_full_width_line_is_not_a_wrap() -> None:
    # code/087 lines 13-14: a 77-column register row followed by a symbol line is complete.
    text = (
        "eax=00000000 ebx=00000000 ecx=7c91eb94 edx=00000001 esi=00251f48 edi=00251eb4\n"
        "eip=7c901230 esp=0006fb20 ebp=0006fc94 iopl=0         nv up ei pl zr na pe nc\n"
        "cs=001b  ss=0023  ds=0023  es=0023  fs=0038  gs=0000             efl=00000246\n"
        "ntdll!DbgBreakPoint:"
    )
    assert texts(text) == text.split("\n")


def test_description_lines_are_not_joined() -> None:
    # issues/061 lines 1-3 (unquoted): a mail client re-wrapped an argument description.
    text = (
        "Arg1: 0000000000000004, The thread's stack pointer was outside the legal\n"
        "stack\n"
        "extents for the thread."
    )
    assert texts(text) == text.split("\n")


# --- the whole corpus, garbage, properties ------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", sorted(SHARED.glob("*/*.txt")) if SHARED.is_dir() else [], ids=str)
def test_shared_corpus_line_numbers(path: Path) -> None:
    check_numbers(path.read_text(encoding="utf-8", errors="replace"))


@needs_corpus
def test_shared_corpus_repairs_point_into_the_paste() -> None:
    for path in sorted(SHARED.glob("*/*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        total = text.count("\n") + 1
        for r in repair(text).repairs:
            assert 1 <= r.first_line <= r.last_line <= total, (path, r)
            assert r.count >= 1


def test_random_bytes() -> None:
    rng = random.Random(1234)
    for _ in range(50):
        text = bytes(rng.randrange(256) for _ in range(rng.randrange(2000))).decode("utf-8", errors="replace")
        check_numbers(text, allow_repeats="<br" in text.lower())


def test_one_megabyte_single_line() -> None:
    text = "fffff880`05f46330 " * (1024 * 1024 // 18)
    r = repair(text)
    assert len(r.lines) == 1
    assert r.lines[0] == Line(1, text.rstrip())


def test_many_quoted_lines_make_one_repair() -> None:
    text = "\n".join(f"> 0{i:x} fffff880`05f46330 fffff880`0106c460 nt!Foo+0x{i:x}" for i in range(200))
    assert repair(text).repairs == [Repair("quote-prefix", 1, 200, 200, "")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_property_numbers_increase_and_stay_in_range(text: str) -> None:
    check_numbers(text, allow_repeats="<br" in text.lower())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "",
                "    ",
                "\t",
                "```",
                "```text",
                "~~~",
                "> ",
                ">",
                "<details>",
                "<br>",
                "[CODE]",
                "&gt;",
                "fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920",
                " 00000000`00000000 : nt!Foo+0x1",
                "fe4a36f4 80115c85 00000004 8046e768 00000118",
                "nt!KeBugCheckEx+0x1e7 (FPO:",
                "[1,0,0])",
                "eax=804183e8 esi=80455454",
                "edi=8045544c",
                "nc",
                "1",
                "x" * 80,
                "0: kd> k",
                "\\`",
            ]
        ),
        max_size=40,
    ).map(lambda parts: "\n".join(p + q for p, q in zip(parts, reversed(parts), strict=True)))
)
def test_property_on_paste_like_text(text: str) -> None:
    check_numbers(text, allow_repeats="<br" in text.lower())


def test_hard_wrap_width_is_measured_on_the_paste_as_pasted() -> None:
    # A paste hard-wrapped at 64 columns where one full-width line holds an HTML entity: its
    # width must be read before `&amp;` becomes `&`, else that line's wrap is missed.
    full = [
        "WARNING: Unable to verify timestamp for some driver module and th",
        "WARNING: Unable to verify checksum for some other driver moduleXX",
        "WARNING: Frame IP not in any known module &amp; following frames ",
    ]
    assert {len(t) for t in full} == {65}
    text = "\n".join(line for t in full for line in (t, "continued")) + "\n"
    repaired = repair(text)
    joined = [ln for ln in repaired.lines if ln.text.startswith("WARNING")]
    assert [ln.no for ln in joined] == [1, 3, 5]
    assert joined[2].text == "WARNING: Frame IP not in any known module & following frames continued"
    assert repaired.ends == {1: 2, 3: 4, 5: 6}
