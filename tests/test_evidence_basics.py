"""Address expressions and address classes the evidence rules build on."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.evidence.addresses import classify, differing_bytes, show, single_bit
from crashsift.evidence.expression import evaluate
from crashsift.pipeline import parse_text

REGS = {"rcx": 0xFFFFFA8008E13318, "rsp": 0xFFFFF88005F46330}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("fffffa8008e13270+10", 0xFFFFFA8008E13280),  # the seed's `dt … fffffa8008e13270+10`
        ("@rcx-8", 0xFFFFFA8008E13310),
        ("rcx - fffffa8008e13280", 0x98),  # the seed's `? @rcx-fffffa8008e13280` = 152
        ("0xfffff8a0`0d106d58", 0xFFFFF8A00D106D58),
        ("@rsp+0n16", 0xFFFFF88005F46340),
        ("(@rcx+8)*2-@rcx", 0xFFFFFA8008E13328),
        ("-8", (1 << 64) - 8),
    ],
)
def test_masm_address_expressions(text, value):
    assert evaluate(text, REGS) == value


@pytest.mark.parametrize("text", ["poi(@rcx)", "nt!PsActiveProcessHead", "@rdx+8", "fffffa80+", "(1", ""])
def test_what_the_text_cannot_give_is_unknown(text):
    assert evaluate(text, REGS) is None


@pytest.mark.parametrize(
    ("value", "arch", "kernel", "classes"),
    [
        (0x20, "x64", True, ["null+offset"]),
        (0x9D00000020, "x64", True, ["user-address-in-kernel"]),
        (0x4141414141414139, "x64", True, ["non-canonical"]),
        (0x4141414141414141, "x64", True, ["non-canonical", "repeated-byte"]),
        (0xFEEEFEEE, "x86", False, ["kernel-address-in-user", "fill:freed"]),
        (0xFFFFFA8008E13318, "x64", True, []),
        (0xFFFFFA8008E13318, "x64", False, ["kernel-address-in-user"]),
        (0x82941C00, "x86", True, []),
        (0x7FFDF000, "x86", True, ["user-address-in-kernel"]),
    ],
)
def test_address_classes(value, arch, kernel, classes):
    assert classify(value, arch, kernel) == classes


def test_byte_and_bit_differences():
    assert differing_bytes(0xFFFFF8890D106D58, 0xFFFFF8A00D106D58) == [4]
    assert single_bit(0xFFFFFA8008E13318, 0xFFFFFA8008E1B318) == 15
    assert single_bit(0xFFFFFA8008E13318, 0xFFFFFA8008E13318) is None
    assert show(0xFFFFF8A00D106D58) == "fffff8a0`0d106d58"
    assert show(0x82941C00, "x86") == "82941c00"


SEED_LINES = (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8").splitlines()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(SEED_LINES), st.integers(0, 120), st.sampled_from("0123456789abcdef`-+ ")),
        max_size=60,
    )
)
def test_rules_never_raise_and_always_cite(picks: list[tuple[str, int, str]]) -> None:
    # The seed's own lines in any order, each with one character changed: registers, listings,
    # dumps, pool pages and dt fields that disagree in every way the rules look at.
    lines = [line[:at] + ch + line[at + 1 :] if at < len(line) else line for line, at, ch in picks]
    for rep in parse_text("\n".join(lines)):
        for finding in rep.findings:
            assert finding.evidence and all(e.line for e in finding.evidence)
            assert finding.severity in ("info", "warning", "critical")
