"""Register versus memory: the faulting base register against the memory it was loaded from."""

from __future__ import annotations

from conftest import CORPUS

from crashsift.pipeline import parse_file, parse_text


def regmem(reports):
    return [f for r in reports for f in r.findings if f.kind == "register-memory"]


def test_seed_rsi_disagrees_with_the_memory_at_rcx():
    # rsi = 0000009d`00000000 (line 24) was loaded by `mov rsi,qword ptr [rcx]` (line 98);
    # `dq @rcx l1` (line 113) shows fffff8a0`0d106d58 at rcx = fffffa80`08e13318.
    [f] = regmem(parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt"))
    assert f.severity == "warning"
    assert f.values == {
        "register": "rsi",
        "register_value": "0x9d00000000",
        "memory_address": "0xfffffa8008e13318",
        "memory_value": "0xfffff8a00d106d58",
        "differing_bits": str(bin(0x9D00000000 ^ 0xFFFFF8A00D106D58).count("1")),
    }
    assert [e.line for e in f.evidence] == [98, 24, 113]
    by_cause = {x.cause: x for x in f.explanations}
    assert set(by_cause) == {"race", "hardware", "stale-context"}
    # The register is NULL but for byte 4, and NULL is what the test/jne at …f124 stops.
    assert any("fffff880`0106f124 would have stopped" in s for s in by_cause["hardware"].supporting)
    assert by_cause["race"].against  # the damaged byte is not what a race leaves


SESSION = """\
0: kd> .cxr ffffd001`00000f00
rax=0000000000000000 rbx=0000000000000000 rcx=ffffc00112345000
rdx=0000000000000000 rsi={rsi} rdi=0000000000000000
rip=fffff80012340010 rsp=ffffd00100001000 rbp=0000000000000000
 r8=0000000000000000  r9=0000000000000000 r10=0000000000000000
r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up ei pl nz na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00010206
mydrv!Foo+0x10:
fffff800`12340010 488b4608        mov     rax,qword ptr [rsi+8]
0: kd> ub @rip L2
mydrv!Foo+0x9:
fffff800`12340009 4883ec28        sub     rsp,28h
fffff800`1234000d 488b31          mov     rsi,qword ptr [rcx]
"""
DUMP = """\
0: kd> dq @rcx l1
ffffc001`12345000  {memory}
"""


def test_a_register_equal_to_its_memory_says_the_value_was_already_there():
    text = SESSION.format(rsi="0000000000000010") + DUMP.format(memory="00000000`00000010")
    [f] = regmem(parse_text(text))
    assert f.severity == "info"
    assert f.values["memory_value"] == "0x10"
    assert "already in memory" in f.message


def test_a_register_unlike_its_memory_is_a_warning():
    text = SESSION.format(rsi="0000000000000010") + DUMP.format(memory="ffffc001`12346000")
    [f] = regmem(parse_text(text))
    assert f.severity == "warning"
    assert f.values["differing_bits"] == str(bin(0x10 ^ 0xFFFFC00112346000).count("1"))


def test_silent_without_the_memory_or_without_the_load():
    assert not regmem(parse_text(SESSION.format(rsi="0000000000000010")))
    other = DUMP.replace("ffffc001`12345000", "ffffc001`12345008").format(memory="00000000`00000010")
    assert not regmem(parse_text(SESSION.format(rsi="0000000000000010") + other))
