"""Segmentation: prompts in every form seen in the corpus, blocks found by content, prose."""

from __future__ import annotations

import pytest

from crashsift.model import Line
from crashsift.segment import family_of, is_prose, match_prompt, segment


def lines(text: str) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(text.splitlines(), 1)]


@pytest.mark.parametrize(
    ("text", "command", "processor"),
    [
        ("2: kd> !analyze -v", "!analyze -v", 2),
        ("kd> k", "k", None),
        ("0: Kd> lm", "lm", 0),  # code/053: capital K typo
        ("lkd> !process 0 0", "!process 0 0", None),
        ("0:000> kb 50", "kb 50", None),
        ("0:004:x86> kv", "kv", None),  # WoW64
        ("28:0:000> .foreach", ".foreach", None),  # code/022: multi-process prompt
        ("   0: kd> kn", "kn", 0),
        ("kd>!analyze -v", "!analyze -v", None),  # code/028: no space
        ("3: kd>  dt _POOL_HEADER", "dt _POOL_HEADER", 3),
        ("> kn", "kn", None),  # issues/132: prompt shortened by the user
    ],
)
def test_prompts(text: str, command: str, processor: int | None) -> None:
    assert match_prompt(text) == (command, processor)


@pytest.mark.parametrize("text", ["> This is a quote of a sentence", "kd is a tool", "Arg1: 0000000a, x", ""])
def test_not_prompts(text: str) -> None:
    assert match_prompt(text) is None


@pytest.mark.parametrize(
    ("command", "family"),
    [
        ("!analyze -v", "analyze"),
        ("k", "stack"),
        ("kb 50", "stack"),
        ("kPL", "stack"),
        ("~*k", "stack"),
        ("~#kn 50", "stack"),
        ("k100", "stack"),
        ("!kb", "stack"),
        ("dt _POOL_HEADER", "dt"),
        ("!pool @rcx", "pool"),
        ("u", "disasm"),
        ("ub rip", "disasm"),
        ("uf nt!Foo", "disasm"),
        ("r", "registers"),
        (".cxr 0xfffff88005f45960", "registers"),
        (".trap ffffa", "registers"),
        ("dq @rcx l1", "memory"),
        ("dps rsp", "memory"),
        ("lmvm nt", "lm"),
        (".exr -1", "exr"),
        ("? @rcx-fffffa8008e13280", "expr"),
        ("vertarget", "header"),
        ("!thread", "thread"),
        (".echo hello", "unknown"),
        ("g", "unknown"),
        ("q", "unknown"),
    ],
)
def test_families(command: str, family: str) -> None:
    assert family_of(command) == family


def test_prose_from_the_case_study() -> None:
    assert is_prose(
        "Oddly, the first thing that jumped out at me is that I had seen a similar crash recently."
    )
    assert not is_prose("An exception happened while executing a system service routine.")  # bug check text
    assert not is_prose("WARNING: Frame IP not in any known module. Following frames may be wrong.")
    assert not is_prose("fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]")


def test_seed_session_blocks(seed_session: str) -> None:
    segs = segment(lines(seed_session))
    got = [(s.kind, s.command, s.start_line) for s in segs]
    # read from corpus/seed/fltmgr-0x3b-session.txt: analyze runs to `Followup: MachineOwner` (83),
    # then the `u` listing pasted without its prompt (85-110), then the prompted commands.
    assert got[:4] == [
        ("analyze", "!analyze -v", 1),
        ("disasm", None, 85),
        ("memory", "dq @rcx l1", 112),
        ("pool", "!pool @rcx", 115),
    ]
    assert segs[0].end_line == 83 and segs[1].end_line == 110
    assert [s.command for s in segs if s.command and s.command.startswith("dt")] == [
        "dt _POOL_HEADER",
        "dt fltmgr!_STREAM_LIST_CTRL fffffa8008e13270+10",
        "dt fltmgr!_TREE_ROOT",
        "dt _NAME_CACHE_LIST_CTRL @rcx-8 /b",
        "dt fltmgr!_NAME_CACHE_NODE fffff8a00d106d40",
        "dt fltmgr!_NAME_CACHE_NODE fffff8a00d106d40 /b",
    ]
    # `? @rcx-…` prints one line, then two `dt` lines pasted without their prompt (169-170)
    expr = next(s for s in segs if s.kind == "expr")
    assert (expr.start_line, expr.end_line) == (166, 167)
    after = segs[segs.index(expr) + 1]
    assert (after.kind, after.command, after.start_line, after.end_line) == ("dt", None, 169, 170)


def test_every_line_is_kept_once(seed_session: str) -> None:
    source = lines(seed_session)
    covered = [ln.no for s in segment(source) for ln in s.lines]
    prompts = [s.prompt_line for s in segment(source) if s.prompt_line is not None]
    non_blank = [ln.no for ln in source if ln.text.strip()]
    assert sorted(covered + prompts) == non_blank


def test_prose_ends_command_output() -> None:
    text = (
        "2: kd> dq @rcx l1\nfffffa80`08e13318  fffff8a0`0d106d58\n\n"
        "Lt is peculiar - this is not a zero value.  This could be due to the fact that not all "
        "registers are saved.\n"
    )
    segs = segment(lines(text))
    assert [(s.kind, s.start_line, s.end_line) for s in segs] == [("memory", 1, 2), ("prose", 4, 4)]


def test_empty_and_blank() -> None:
    assert segment([]) == []
    assert segment(lines("\n\n   \n")) == []
