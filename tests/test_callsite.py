"""Call-site splitting: every form seen in the corpus (file named next to each case)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crashsift.parsers.callsite import CallSite, parse_call_site


@pytest.mark.parametrize(
    ("text", "module", "function", "offset"),
    [
        # seed/fltmgr-second-crash-k.txt line 4
        ("nt! ?? ::FNODOBFM::`string'+0x40edb", "nt", "?? ::FNODOBFM::`string'", "0x40edb"),
        # code/005.txt, SYMBOL_NAME style offset without 0x (hex)
        (
            "js_dbg_32_dm_windows_62f79d676e0e!js::gc::TenuredCell::arena+13",
            "js_dbg_32_dm_windows_62f79d676e0e",
            "js::gc::TenuredCell::arena",
            "0x13",
        ),
        ("fltmgr!TreeUnlinkMulti+51", "fltmgr", "TreeUnlinkMulti", "0x51"),
        # issues/177.txt
        ("wslhost+0xa0df4", "wslhost", None, "0xa0df4"),
        # code/102.txt line 45: unnamed module
        ("Image@10200000!free+0x17", "Image@10200000", "free", "0x17"),
        # issues/180.txt
        ("nt!PspSystemThreadStartup$filt$0+0x98", "nt", "PspSystemThreadStartup$filt$0", "0x98"),
        ("nt!_C_specific_handler", "nt", "_C_specific_handler", None),
        # code/037.txt: uppercase module kept as printed, decorated names
        ("NT!_RtlMoveMemory@12+0x3e", "NT", "_RtlMoveMemory@12", "0x3e"),
        # code/116.txt: padded offset
        ("FreeImaged!operator delete+0x0000000e", "FreeImaged", "operator delete", "0xe"),
        (
            "js!js::DispatchTyped<js::TenuringTraversalFunctor<JS::Value>,js::TenuringTracer * const>+0x44",
            "js",
            "js::DispatchTyped<js::TenuringTraversalFunctor<JS::Value>,js::TenuringTracer * const>",
            "0x44",
        ),
        ("app!std::vector<int,std::allocator<int> >::operator[]+0x1a", "app", None, "0x1a"),
        ("app!CFoo::`scalar deleting destructor'+0x14", "app", "CFoo::`scalar deleting destructor'", "0x14"),
        ("app!operator new+0x16", "app", "operator new", "0x16"),
        ("app!operator()+0x5", "app", "operator()", "0x5"),
        # issues/066.txt: managed signature stays in the function
        (
            "System_Private_CoreLib_ni!System.Threading.ExecutionContext.Run(System.Threading."
            "ExecutionContext, System.Threading.ContextCallback, System.Object)+0x10f",
            "System_Private_CoreLib_ni",
            "System.Threading.ExecutionContext.Run(System.Threading.ExecutionContext, "
            "System.Threading.ContextCallback, System.Object)",
            "0x10f",
        ),
        # code/098.txt line 10: offset without module
        ("+0x12fab0", None, None, "0x12fab0"),
        # pages/014.txt: WordPress multiplication sign
        ("nt!KiSwapContext+0×2f", "nt", "KiSwapContext", "0x2f"),
    ],
)
def test_symbol_forms(text: str, module: str | None, function: str | None, offset: str | None) -> None:
    site = parse_call_site(text)
    assert site.module == module
    if function is not None:
        assert site.function == function
    assert site.offset == offset
    assert site.address is None


def test_operator_brackets_kept_in_function() -> None:
    site = parse_call_site("app!std::vector<int,std::allocator<int> >::operator[]+0x1a")
    assert site.function == "std::vector<int,std::allocator<int> >::operator[]"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("0x77320eba", "0x77320eba"),  # seed/fltmgr-0x3b-session.txt STACK_TEXT
        ("0x00007fff`69805b74", "0x7fff69805b74"),  # code/053.txt line 40
        ("0x0", "0x0"),  # pages/017.txt line 6
        ("0xcccccccc", "0xcccccccc"),  # issues/019.txt line 8
    ],
)
def test_bare_address(text: str, address: str) -> None:
    assert parse_call_site(text) == CallSite(address=address)


def test_unloaded_module_forms() -> None:
    # code/076.txt line 209
    site = parse_call_site("<Unloaded_TestDriver.sys>+0x12b3")
    assert (site.module, site.offset, site.notes) == (
        "Unloaded_TestDriver.sys",
        "0x12b3",
        ["unloaded module"],
    )
    site = parse_call_site("Unloaded_foo.sys+0x1234")
    assert (site.module, site.notes) == ("Unloaded_foo.sys", ["unloaded module"])


def test_source_with_spaces_and_trailing_space() -> None:
    # code/111.txt line 29 (trailing space as pasted)
    site = parse_call_site(
        "SetEnhMetaFileBits!main+0x98 (FPO: [Non-Fpo]) (CONV: cdecl) [c:\\users\\user\\desktop\\harness"
        "\\gdi32.dll\\setenhmetafilebits\\setenhmetafilebits\\setenhmetafilebits.cpp @ 31] "
    )
    assert site.function == "main"
    assert site.offset == "0x98"
    assert site.notes == ["FPO: [Non-Fpo]", "CONV: cdecl"]
    assert site.source_file.endswith("setenhmetafilebits.cpp")
    assert site.source_line == 31
    site = parse_call_site("app!f+0x1 [C:\\Program Files\\My App\\a b.cpp @ 7]")
    assert (site.source_file, site.source_line) == ("C:\\Program Files\\My App\\a b.cpp", 7)


def test_relative_source_path() -> None:
    # issues/132.txt line 6
    site = parse_call_site("drmemorylib!wait_for_user+0xc [common\\utils.c @ 82]")
    assert (site.source_file, site.source_line, site.cut_off) == ("common\\utils.c", 82, False)


def test_source_cut_off() -> None:
    # issues/132.txt line 14: the paste ends inside the source path
    site = parse_call_site("drmemorylib!event_exception_instrument+0x10f [drmemo")
    assert site.cut_off
    assert site.function == "event_exception_instrument"
    assert site.source_file is None


def test_kv_annotations() -> None:
    # code/085.txt line 17
    site = parse_call_site("NT!_KiTrap0E+0x256 (FPO: [0,0] TrapFrame @ 8013eee8)")
    assert site.notes == ["FPO: [0,0] TrapFrame @ 8013eee8"]
    # code/053.txt line 241
    site = parse_call_site("nt!KiSystemServiceCopyEnd+0x13 (TrapFrame @ ffffd001`c70c6c40)")
    assert (site.function, site.notes) == ("KiSystemServiceCopyEnd", ["TrapFrame @ ffffd001`c70c6c40"])
    site = parse_call_site("nt!KiTrap0E+0x8f TrapFrame @ 8054abcd")
    assert (site.offset, site.notes) == ("0x8f", ["TrapFrame @ 8054abcd"])
    # code/094.txt line 5: wrapped, the annotation is never closed
    site = parse_call_site("ntkrnlmp!KeBugCheckEx+0x1e7(FPO: [Non-Fpo]")
    assert (site.function, site.offset, site.notes) == ("KeBugCheckEx", "0x1e7", ["FPO: [Non-Fpo]"])


def test_inline_function_annotation() -> None:
    # code/111.txt line 30
    site = parse_call_site(
        "SetEnhMetaFileBits!invoke_main+0x1c (Inline Function @ 009c12cb) (CONV: cdecl) "
        "[d:\\agent\\_work\\3\\s\\src\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl @ 78]"
    )
    assert site.inline
    assert site.notes == ["Inline Function @ 009c12cb", "CONV: cdecl"]
    assert site.source_line == 78


def test_inlined_in() -> None:
    # code/039.txt line 79 (.cxr symbol line, without its colon)
    site = parse_call_site(
        "dxgmms2!RemoveHeadList+0xd [inlined in dxgmms2!VidSchiSignalRegisteredSyncObjects+0x3f]"
    )
    assert site.inline
    assert (site.function, site.offset) == ("RemoveHeadList", "0xd")
    assert site.notes == ["inlined in dxgmms2!VidSchiSignalRegisteredSyncObjects+0x3f"]


def test_kp_parameters_go_to_notes() -> None:
    # issues/140.txt line 7
    site = parse_call_site(
        "test1!Add(int a = 0n18, int b = 0n52, int c = 0n86, int d = 0n120, int e = 0n154, "
        "int f = 0n188)+0x1e [f:\\test1\\test1\\test1.cpp @ 7]"
    )
    assert (site.module, site.function, site.offset) == ("test1", "Add", "0x1e")
    assert site.notes == [
        "params: int a = 0n18, int b = 0n52, int c = 0n86, int d = 0n120, int e = 0n154, int f = 0n188"
    ]
    assert (site.source_file, site.source_line) == ("f:\\test1\\test1\\test1.cpp", 7)


def test_mex_source_column_and_comment() -> None:
    # code/074.txt line 401
    site = parse_call_site(
        "TestDriver!AccessPageableMemory            "
        "C:\\Users\\User\\source\\repos\\TestDriver\\TestDriver\\Driver.c @ 11"
    )
    assert (site.function, site.source_line) == ("AccessPageableMemory", 11)
    assert site.source_file == "C:\\Users\\User\\source\\repos\\TestDriver\\TestDriver\\Driver.c"
    # code/078.txt line 115
    site = parse_call_site("ntdll!RtlExitUserThread      <---- Calling ExitThread()     ")
    assert (site.function, site.notes) == ("RtlExitUserThread", ["Calling ExitThread()"])
    # code/062.txt lines 161 and 175: the paster's `-->` comments on !mex.us rows
    site = parse_call_site("ntdll!NtDelayExecution+0x14 --> Delaying or sleeping the execution of the thread")
    assert (site.module, site.function, site.offset) == ("ntdll", "NtDelayExecution", "0x14")
    assert site.notes == ["Delaying or sleeping the execution of the thread"]
    site = parse_call_site("0xcc000c --> Likely custom or obfuscated addresses in the implant")
    assert (site.address, site.notes) == (
        "0xcc000c",
        ["Likely custom or obfuscated addresses in the implant"],
    )
    # issues/177.txt line 9: the user's comment
    site = parse_call_site("wslhost+0x8cdd7    ; or wslhost+0x8ce87")
    assert (site.module, site.offset, site.notes) == ("wslhost", "0x8cdd7", ["or wslhost+0x8ce87"])


def test_elided_tail() -> None:
    # code/040.txt line 66
    site = parse_call_site("nt!DbgBreakPointWithStatus ...")
    assert (site.function, site.notes) == ("DbgBreakPointWithStatus", ["text elided"])


def test_partial_hex_is_cut_off() -> None:
    # issues/139.txt line 3
    site = parse_call_site("00000000`")
    assert site.cut_off
    assert site.module is None and site.address is None


def test_empty() -> None:
    assert parse_call_site("   ") == CallSite()


@given(st.text())
def test_never_raises(text: str) -> None:
    parse_call_site(text)
