"""The `lm` family parser: module rows, `lmv` detail lines, unloaded modules, ModLoad lines.

Snippets are copied from corpus files (or the public page named) with their original line
numbers; expected values were read off the text by hand. Pasted lines stay whole, however long.
"""

# ruff: noqa: E501

from __future__ import annotations

import pytest
from conftest import CORPUS, output_lines
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Token
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers import lm
from crashsift.parsers.grammar import load
from crashsift.repair import repair
from crashsift.segment import segment


def test_empty_input() -> None:
    parsed = lm.parse([])
    assert parsed.record == lm.LmRecord()
    assert parsed.diagnostics == []


def test_garbage_is_a_diagnostic_not_a_module() -> None:
    parsed = lm.parse(output_lines("this is not lm output at all\n@@@ 12 !!\n", 5))
    assert parsed.record.modules == []
    assert [d.line for d in parsed.diagnostics] == [5, 6]


@given(st.lists(st.text(max_size=120), max_size=8))
def test_parse_never_raises(texts: list[str]) -> None:
    lm.parse([Line(i, t) for i, t in enumerate(texts, 1)])
    for t in texts:
        lm.parse_modload(t)


def test_old_x86_lm_flags_status_and_pdb_paths() -> None:
    # issues/129 lines 2-6 and 10 (WinDbg 6.11, DynamoRIO#564)
    text = (
        "start    end        module name\n"
        "00090000 00090000   KERNELBASE_90000   (deferred)  \n"
        "00ed0000 00efa000   malloc   C (private pdb symbols)  C:\\src\\drmemory\\git\\build_drmemory\\tests\\malloc.pdb\n"
        "00f00000 00f00000   KERNEL32_f00000   (deferred)  \n"
        "10000000 10000000   drmemorylib   (private pdb symbols)  c:\\src\\drmemory\\git\\build_drmemory/bin/debug\\drmemorylib.pdb\n"
    )
    parsed = lm.parse([*output_lines(text, 2), Line(10, "74ef0000 74f36000   KERNELBASE   (pdb symbols)          c:\\src\\symbols\\wkernelbase.pdb\\20019086DAFA4AD5B2C8E777BEC777851\\wkernelbase.pdb")])  # fmt: skip
    assert parsed.diagnostics == []
    mods = parsed.record.modules
    assert [(m.name, m.line) for m in mods] == [
        ("KERNELBASE_90000", 3), ("malloc", 4), ("KERNEL32_f00000", 5), ("drmemorylib", 6), ("KERNELBASE", 10),
    ]  # fmt: skip
    assert (mods[0].start, mods[0].end, mods[0].symbol_status, mods[0].symbol_file) == (
        "0x90000", "0x90000", "deferred", None,
    )  # fmt: skip
    assert mods[1].flags == ["C"]
    assert mods[1].symbol_status == "private pdb symbols"
    assert mods[1].symbol_file == "C:\\src\\drmemory\\git\\build_drmemory\\tests\\malloc.pdb"
    assert mods[4].symbol_status == "pdb symbols"
    assert mods[4].symbol_file.endswith("\\20019086DAFA4AD5B2C8E777BEC777851\\wkernelbase.pdb")


def test_kernel_lm_export_symbols_and_elision() -> None:
    # code/053 lines 11, 14, 19 and 22 ('0: Kd> lm', the doc's '...' elision)
    text = (
        "start             end                 module name\n"
        "fffff801`092de000 fffff801`092ec000   werkernel   (export symbols)       werkernel.sys\n"
        "fffff801`0938e000 fffff801`093f7000   spaceport   (no symbols)           \n"
        "...\n"
    )
    parsed = lm.parse([Line(n, t) for n, t in zip((11, 14, 19, 22), text.splitlines(), strict=True)])
    assert parsed.diagnostics == []
    werkernel, spaceport = parsed.record.modules
    assert (werkernel.start, werkernel.end) == ("0xfffff801092de000", "0xfffff801092ec000")
    assert (werkernel.symbol_status, werkernel.symbol_file) == ("export symbols", "werkernel.sys")
    assert (spaceport.symbol_status, spaceport.symbol_file, spaceport.line) == ("no symbols", None, 19)
    assert parsed.record.messages == [Line(22, "...")]


def test_lmvm_with_dml_text() -> None:
    # code/034 lines 24-34 (lmvm atikmpag; 'Browse …' is DML link text rendered as text)
    text = (
        "Browse full module list\n"
        "start    end        module name\n"
        "9a01a000 9a09a000   atikmpag T (no symbols)           \n"
        "    Loaded symbol image file: atikmpag.sys\n"
        "    Image path: atikmpag.sys\n"
        "    Image name: atikmpag.sys\n"
        "    Browse all global symbols  functions  data\n"
        "    Timestamp:        Fri Dec  6 12:20:32 2013 (52A23190)\n"
        "    CheckSum:         0007E58A\n"
        "    ImageSize:        00080000\n"
        "    Translations:     0000.04b0 0000.04e4 0409.04b0 0409.04e4\n"
    )
    parsed = lm.parse(output_lines(text, 24))
    assert parsed.diagnostics == []
    (mod,) = parsed.record.modules
    assert (mod.start, mod.end, mod.name, mod.flags, mod.symbol_status, mod.line) == (
        "0x9a01a000", "0x9a09a000", "atikmpag", ["T"], "no symbols", 26,
    )  # fmt: skip
    assert (mod.symbol_image, mod.image_path, mod.image_name) == ("atikmpag.sys",) * 3
    assert mod.timestamp == "Fri Dec  6 12:20:32 2013 (52A23190)"
    assert mod.timestamp_value == "0x52a23190"
    assert (mod.checksum, mod.image_size) == ("0x7e58a", "0x80000")
    assert mod.fields["Translations"] == "0000.04b0 0000.04e4 0409.04b0 0409.04e4"
    assert parsed.record.messages == [
        Line(24, "Browse full module list"), Line(30, "Browse all global symbols  functions  data"),
    ]  # fmt: skip


def test_brepro_timestamp_is_a_hash_and_a_cut_paste_keeps_it() -> None:
    # issues/123 lines 10-16 (lm vm nt; the paste ends inside the Timestamp note)
    text = (
        "fffff807`062b1000 fffff807`06d22000   nt         (pdb symbols)          D:\\Program Files (x86)\\Windows Kits\\10\\Debuggers\\x64\\sym\\ntkrnlmp.pdb\\4537E1C06FC8D20BF2F4D315925632E01\\ntkrnlmp.pdb\n"
        "    Loaded symbol image file: ntkrnlmp.exe\n"
        "    Image path: ntkrnlmp.exe\n"
        "    Image name: ntkrnlmp.exe\n"
        "    Browse all global symbols  functions  data\n"
        "    Image was built with /Brepro flag.\n"
        "    Timestamp:        99C0087B (This is a reproducible build file hash\n"
    )  # fmt: skip
    parsed = lm.parse(output_lines(text, 10))
    assert parsed.diagnostics == []
    (nt,) = parsed.record.modules
    assert nt.symbol_file is not None and nt.symbol_file.startswith("D:\\Program Files (x86)\\Windows Kits")
    assert nt.notes == ["Image was built with /Brepro flag."]
    assert nt.reproducible is True
    assert (nt.timestamp, nt.timestamp_value) == (
        "99C0087B (This is a reproducible build file hash",
        "0x99c0087b",
    )


def test_lmv_without_prompt_mapped_image_and_full_brepro_note() -> None:
    # issues/063 lines 8-15 and 29 (electron#21614; no prompt in the paste, cut inside FileVersion)
    text = (
        "69c90000 69d24000   mscms      (deferred)             \n"
        "    Mapped memory image file: z:\\ossymbols\\mscms.dll\\549EE1E894000\\mscms.dll\n"
        "    Image path: C:\\Windows\\SYSTEM32\\mscms.dll\n"
        "    Image name: mscms.dll\n"
        "    Image was built with /Brepro flag.\n"
        "    Timestamp:        549EE1E8 (This is a reproducible build file hash, not a timestamp)\n"
        "    CheckSum:         00000000\n"
        "    ImageSize:        00094000\n"
    )
    parsed = lm.parse(
        [*output_lines(text, 8), Line(29, "        FileVersion:      10.0.18362.10010 (WinBuild.1601")]
    )
    assert parsed.diagnostics == []
    (mscms,) = parsed.record.modules
    assert (mscms.start, mscms.end, mscms.name, mscms.symbol_status) == (
        "0x69c90000",
        "0x69d24000",
        "mscms",
        "deferred",
    )
    assert mscms.mapped_image == "z:\\ossymbols\\mscms.dll\\549EE1E894000\\mscms.dll"
    assert (mscms.image_path, mscms.image_name) == ("C:\\Windows\\SYSTEM32\\mscms.dll", "mscms.dll")
    assert (mscms.timestamp_value, mscms.reproducible) == ("0x549ee1e8", True)
    assert (mscms.checksum, mscms.image_size) == ("0x0", "0x94000")
    assert mscms.fields["FileVersion"] == "10.0.18362.10010 (WinBuild.1601"


def test_lmv_version_and_resource_fields() -> None:
    # Chromium issue 880906 (crbug.com/chromium/880906), `3:034> lmv m chrome`, lines 1-27 of the output
    text = (
        "Browse full module list\n"
        "start             end                 module name\n"
        "00007ff6`88510000 00007ff6`88682000   chrome     (private pdb symbols)  c:\\symcache\\chrome\\chrome.exe.pdb\\87C912AE57111EE90B876C7F2D30397F1\\chrome.exe.pdb\n"
        "    Loaded symbol image file: C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe\n"
        "    Image path: chrome.exe\n"
        "    Image name: chrome.exe\n"
        "    Browse all global symbols  functions  data\n"
        "    Timestamp:        Mon Sep  3 13:30:31 2018 (5B8D99E7)\n"
        "    CheckSum:         0017457D\n"
        "    ImageSize:        00172000\n"
        "    File version:     69.0.3497.81\n"
        "    Product version:  69.0.3497.81\n"
        "    File flags:       0 (Mask 17)\n"
        "    File OS:          4 Unknown Win32\n"
        "    File type:        1.0 App\n"
        "    File date:        00000000.00000000\n"
        "    Translations:     0409.04b0\n"
        "    Information from resource tables:\n"
        "        CompanyName:      Google Inc.\n"
        "        ProductName:      Google Chrome\n"
        "        InternalName:     chrome_exe\n"
        "        OriginalFilename: chrome.exe\n"
        "        ProductVersion:   69.0.3497.81\n"
        "        FileVersion:      69.0.3497.81\n"
        "        FileDescription:  Google Chrome\n"
        "        LegalCopyright:   Copyright 2017 Google Inc. All rights reserved.\n"
    )  # fmt: skip
    parsed = lm.parse(output_lines(text))
    assert parsed.diagnostics == []
    (chrome,) = parsed.record.modules
    assert (chrome.start, chrome.end) == ("0x7ff688510000", "0x7ff688682000")
    assert chrome.symbol_image == "C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe"
    assert (chrome.file_version, chrome.product_version) == ("69.0.3497.81", "69.0.3497.81")
    assert (chrome.company, chrome.product_name, chrome.description) == (
        "Google Inc.", "Google Chrome", "Google Chrome",
    )  # fmt: skip
    assert (chrome.original_filename, chrome.internal_name) == ("chrome.exe", "chrome_exe")
    assert chrome.fields["File flags"] == "0 (Mask 17)"
    assert chrome.fields["LegalCopyright"] == "Copyright 2017 Google Inc. All rights reserved."
    assert chrome.fields["Information from resource tables"] == ""


def test_unloaded_modules_and_an_old_status_less_pdb_column() -> None:
    # MicrosoftDocs windows-driver-docs, lm--list-loaded-modules-.md: `kd> lm m s*` (Windows Server 2003)
    text = (
        "start    end        module name\n"
        "f9f73000 f9f7fd80   sysaudio     (deferred)                 \n"
        "fb008000 fb00ba80   serenum      e:\\mysymbols\\SereEnum.pdb\\.......\n"
        "\n"
        "Unloaded modules:\n"
        "f9f53000 f9f61000   swmidi.sys\n"
        "fb040000 fb043000   Sfloppy.SYS\n"
    )
    parsed = lm.parse(output_lines(text))
    assert parsed.diagnostics == []
    sysaudio, serenum = parsed.record.modules
    assert (sysaudio.end, sysaudio.symbol_status) == ("0xf9f7fd80", "deferred")
    assert (serenum.symbol_status, serenum.symbol_file) == (None, "e:\\mysymbols\\SereEnum.pdb\\.......")
    assert [(m.start, m.end, m.name, m.line) for m in parsed.record.unloaded] == [
        ("0xf9f53000", "0xf9f61000", "swmidi.sys", 6), ("0xfb040000", "0xfb043000", "Sfloppy.SYS", 7),
    ]  # fmt: skip


def test_lmt_time_stamp_column() -> None:
    # no lmt paste in the corpus: the row shape the lm documentation gives for `t` (a time stamp
    # where the symbol status would be), with code/034's module and stamp
    parsed = lm.parse([Line(3, "9a01a000 9a09a000   atikmpag Fri Dec  6 12:20:32 2013 (52A23190)")])
    (mod,) = parsed.record.modules
    assert (mod.symbol_status, mod.timestamp_value) == (None, "0x52a23190")


def test_detail_before_any_module_is_a_diagnostic() -> None:
    # code/069 line 595 alone: the paste around it lost its module row
    parsed = lm.parse([Line(595, "    ImageSize:        00007000")])
    assert parsed.record.modules == []
    assert [d.line for d in parsed.diagnostics] == [595]


def test_cut_lmvm_paste_keeps_its_tail_as_diagnostic() -> None:
    # issues/096 lines 16 and 27-28 (cut inside 'Translations')
    parsed = lm.parse(
        [
            Line(16, "00000000`6d010000 00000000`6d5c0000   mscorwks   (deferred)             "),
            Line(27, "    File date:        00000000.00000000"),
            Line(28, "    Translat"),
        ]
    )
    (mod,) = parsed.record.modules
    assert (mod.start, mod.fields) == ("0x6d010000", {"File date": "00000000.00000000"})
    assert [d.line for d in parsed.diagnostics] == [28]


# --- ModLoad lines ---------------------------------------------------------------------------


def test_modload_block_64_and_32_bit_ranges_mixed() -> None:
    # issues/134 lines 7-9, 12 and 17 (WOW64 attach: 64-bit and 32-bit modules; paste cut on 17)
    text = [
        (7, "ModLoad: 00000000`00bd0000 00000000`00c08000   C:\\DynamoRIO\\bin32\\drrun.exe"),
        (8, "ModLoad: 00007ff9`00470000 00007ff9`00664000   C:\\Windows\\SYSTEM32\\ntdll.dll"),
        (9, "ModLoad: 00000000`77c80000 00000000`77e22000   ntdll.dll"),
        (12, "ModLoad: 00000000`77c70000 00000000`77c7a000   C:\\Windows\\System32\\wow64cpu.dll"),
        (17, "ModLoad: 00000000`76a00"),
    ]
    parsed = lm.parse([Line(n, t) for n, t in text])
    assert [(m.start, m.end, m.name, m.image_path, m.line) for m in parsed.record.modules] == [
        ("0xbd0000", "0xc08000", "drrun", "C:\\DynamoRIO\\bin32\\drrun.exe", 7),
        ("0x7ff900470000", "0x7ff900664000", "ntdll", "C:\\Windows\\SYSTEM32\\ntdll.dll", 8),
        ("0x77c80000", "0x77e22000", "ntdll", "ntdll.dll", 9),
        ("0x77c70000", "0x77c7a000", "wow64cpu", "C:\\Windows\\System32\\wow64cpu.dll", 12),
    ]
    assert [d.line for d in parsed.diagnostics] == [17]
    assert "ModLoad" in parsed.diagnostics[0].message


def test_modload_synthetic_image_name() -> None:
    # issues/174 line 6 (the main image mapped without a name)
    mod = lm.parse_modload("ModLoad: 00000000`00400000 00000000`006f9000   image00000000`00400000")
    assert mod is not None
    assert (mod.start, mod.end, mod.name, mod.image_path) == (
        "0x400000", "0x6f9000", "image00000000`00400000", "image00000000`00400000",
    )  # fmt: skip
    assert mod.symbol_status is None and mod.line is None


def test_modload_indented_and_pseudo_sections() -> None:
    # issues/036 lines 6 and 17-19 (markdown left 2 spaces; WOW64 section pseudo-names after `g`)
    assert lm.parse_modload("  ModLoad: 00000000`000c0000 00000000`01288000   XBMC.exe").name == "XBMC"
    parsed = lm.parse(
        [
            Line(17, "  ModLoad: 00000000`01530000 00000000`01669000   WOW64_IMAGE_SECTION"),
            Line(18, "  ModLoad: 00000000`77430000 00000000`77570000   WOW64_IMAGE_SECTION"),
            Line(19, "  ModLoad: 00000000`01530000 00000000`01669000   NOT_AN_IMAGE"),
        ]
    )
    assert [(m.name, m.start, m.line) for m in parsed.record.modules] == [
        ("WOW64_IMAGE_SECTION", "0x1530000", 17), ("WOW64_IMAGE_SECTION", "0x77430000", 18),
        ("NOT_AN_IMAGE", "0x1530000", 19),
    ]  # fmt: skip


def test_modload_32_bit_forms() -> None:
    # code/088 line 2 (ntsd, Windows 2000 era), code/110 line 1 (WoW64 SysWOW64 path),
    # code/022 line 3200 (cdb 6.2: a 32-bit range among 64-bit ones, WinSxS path)
    kernel32 = lm.parse_modload("ModLoad: 77db0000 77e8c000   kernel32.dll")
    imm32 = lm.parse_modload("ModLoad: 75ff0000 7601b000   C:\\Windows\\SysWOW64\\IMM32.DLL")
    comctl = lm.parse_modload(
        "ModLoad: 70f50000 71156000   C:\\Windows\\WinSxS\\x86_microsoft.windows.common-controls_"
        "6595b64144ccf1df_6.0.9600.17810_none_a9edf09f013934e0\\comctl32.dll"
    )
    assert kernel32 is not None and imm32 is not None and comctl is not None
    assert (kernel32.start, kernel32.end, kernel32.name) == ("0x77db0000", "0x77e8c000", "kernel32")
    assert (imm32.name, imm32.image_path) == ("IMM32", "C:\\Windows\\SysWOW64\\IMM32.DLL")
    assert (comctl.start, comctl.end, comctl.name) == ("0x70f50000", "0x71156000", "comctl32")


def test_modload_run_from_cdb_session() -> None:
    # code/021 lines 11-13 (cdb 10.0.10240 iexplore session) and code/116 line 2 (after `g`)
    parsed = lm.parse(
        [
            Line(11, "ModLoad: 00007ff6`4ffc0000 00007ff6`50088000   iexplore.exe"),
            Line(12, "ModLoad: 00007ff8`d31b0000 00007ff8`d335d000   ntdll.dll"),
            Line(13, "ModLoad: 00007ff8`c8280000 00007ff8`c82ec000   C:\\windows\\system32\\verifier.dll"),
        ]
    )
    assert [(m.name, m.start, m.end) for m in parsed.record.modules] == [
        ("iexplore", "0x7ff64ffc0000", "0x7ff650088000"),
        ("ntdll", "0x7ff8d31b0000", "0x7ff8d335d000"),
        ("verifier", "0x7ff8c8280000", "0x7ff8c82ec000"),
    ]
    freeimage = lm.parse_modload(
        "ModLoad: 10000000 107df000   C:\\Users\\Administrator\\source\\repos\\Freeimage_test\\Release\\FreeImaged.dll"
    )
    assert freeimage is not None and (freeimage.name, freeimage.end) == ("FreeImaged", "0x107df000")


def test_parse_modload_refuses_other_lines() -> None:
    assert lm.parse_modload("") is None
    assert lm.parse_modload("SHIMVIEW: ShimInfo(Complete)") is None  # code/022 line 12
    assert lm.parse_modload("ModLoad: 00000000`76a00") is None  # issues/134 line 17, cut
    assert lm.parse_modload("fffff807`84da0000 fffff807`84da7000   EvilDriver   (no symbols)") is None


def test_clr_image_note_and_the_module_name_windbg_gives_a_dotted_file() -> None:
    # a public blog post on a .NET hang (found in the code index), `0:023> lmDvm system_ni`,
    # lines 1-9 of the output: the row names System.ni.dll's module `System_ni`
    path = "C:\\WINDOWS\\assembly\\NativeImages_v4.0.30319_64\\System\\5dd302cc18514670950e7f3fbebddb06\\System.ni.dll"
    text = (
        "Browse full module list\n"
        "start             end                 module name\n"
        "00007ffa`6ff90000 00007ffa`70c00000   System_ni C (pdb symbols)          e:\\mysymbol\\System.ni.pdb\\5DD302CC18514670950E7F3FBEBDDB061\\System.ni.pdb\n"
        f"    Loaded symbol image file: {path}\n"
        f"    Image path: {path}\n"
        "    Image name: System.ni.dll\n"
        "    Browse all global symbols  functions  data\n"
        "    Has CLR image header, track-debug-data flag not set\n"
        "    Timestamp:        Thu Oct  8 08:55:49 2020 (5F7E6395)\n"
    )  # fmt: skip
    parsed = lm.parse(output_lines(text))
    assert parsed.diagnostics == []
    (mod,) = parsed.record.modules
    assert (mod.name, mod.flags, mod.symbol_status) == ("System_ni", ["C"], "pdb symbols")
    assert mod.notes == ["Has CLR image header, track-debug-data flag not set"]
    assert mod.reproducible is False
    modload = lm.parse_modload(f"ModLoad: 00007ffa`6ff90000 00007ffa`70c00000   {path}")
    assert modload is not None and modload.name == mod.name


def test_one_token_lines_read_as_lark_reads_them() -> None:
    # every line of the bundled lm blocks and ModLoad runs, read by the regex short cut and by
    # the grammar: the same (what, value), or refused by both
    texts = [
        line.text
        for path in sorted(CORPUS.glob("*/*.txt"))
        for seg in segment(repair(path.read_text(encoding="utf-8", errors="replace")).lines)
        for line in seg.lines
        if seg.kind == "lm" or "ModLoad:" in line.text
    ]
    assert len(texts) > 150
    for text in texts:
        try:
            line = load("lm").parse(text.strip()).children[0]
            by_lark = lm._item(line.data, [t for t in line.children if isinstance(t, Token)])
        except LarkError:
            by_lark = None
        assert lm._read(text) == by_lark, text


def test_a_line_starts_with_a_one_token_terminal_or_module() -> None:
    # `_read` refuses a line none of these begins without asking lark: they must be exactly the
    # terminals the grammar accepts first
    table = load("lm").parser.parser.parser.parse_table
    (state,) = table.start_states.values()
    first = {name for name in table.states[state] if name.isupper()}
    assert first == {terminal for _, terminal in lm._ONE_TOKEN_RULES} | {"MODULE"}
    assert set(lm._one_token().groupindex) == {rule for rule, _ in lm._ONE_TOKEN_RULES}
    for text in ("Create thread 4:4cc", "Unload module x.dll at 00000000`00c20000", "12345678"):
        assert lm._read(text) is None


def _read_by_lark(text: str) -> object:
    try:
        line = load("lm").parse(text.strip()).children[0]
    except LarkError:
        return None
    return lm._item(line.data, [t for t in line.children if isinstance(t, Token)])


_ROW_PIECES = st.sampled_from([
    "fffff801`092de000", "00ed0000", "9a01a000", " ", "  ", "\t", "malloc", "C", "T", "#", "M",
    "(deferred)", "(private pdb symbols)", "(", ")", "C:\\x\\malloc.pdb", "werkernel.sys", "x",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", "00ed0000 00efa000   ", "fffff801`092de000 fffff801`092ec000 "]),
    st.lists(_ROW_PIECES, min_size=1, max_size=10),
)
def test_rows_read_as_lark_reads_them_on_generated_lines(start: str, pieces: list[str]) -> None:
    text = (start + "".join(pieces)).strip()
    if text:
        assert lm._read(text) == _read_by_lark(text), text


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("C:\\Windows\\System32\\ntdll.dll", "ntdll"),
        ("C:/x/System.Xml.ni.dll", "System_Xml_ni"),
        ("/usr/lib/libc.so.6", "libc_so"),
        ("C:\\a\\b.abcde", "b_abcde"),
        ("C:\\a\\trailing.", "trailing_"),
        ("C:\\a\\b.ñ", "b_ñ"),
        ("C:\\a\\.sys", ""),
        ("WOW64_IMAGE_SECTION", "WOW64_IMAGE_SECTION"),
    ],
)
def test_module_name_drops_one_short_ascii_extension(path: str, name: str) -> None:
    assert lm._module_name(path) == name
