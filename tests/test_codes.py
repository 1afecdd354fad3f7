"""Code tables (crashsift/data/*.tsv) and their loader, crashsift.codes."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from crashsift import codes
from crashsift.codes import (
    bugcheck_code_from_bucket,
    bugcheck_name,
    exception_name,
    exception_text,
    parse_code,
)

UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
CANONICAL_CODE = re.compile(r"0x(?:0|[1-9a-f][0-9a-f]{0,7})")


def _data_lines(filename: str) -> list[str]:
    text = resources.files("crashsift").joinpath("data", filename).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


# --- table files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "header"),
    [("bugchecks.tsv", ["code", "name"]), ("ntstatus.tsv", ["code", "name", "text"])],
)
def test_table_file_format(filename: str, header: list[str]) -> None:
    text = resources.files("crashsift").joinpath("data", filename).read_text(encoding="utf-8")
    assert text.startswith("# "), "the file should open with comment lines"
    assert "# source:" in text
    assert "\r" not in text
    lines = _data_lines(filename)
    assert lines[0].split("\t") == header
    seen: set[int] = set()
    for line in lines[1:]:
        fields = line.split("\t")
        assert len(fields) == len(header), line
        code, name = fields[0], fields[1]
        assert CANONICAL_CODE.fullmatch(code), f"code not lowercase 0x… without padding: {line!r}"
        value = int(code, 16)
        assert value not in seen, f"duplicate code {code}"
        seen.add(value)
        assert UPPER_SNAKE.fullmatch(name), f"name not UPPER_SNAKE: {line!r}"
        for field in fields:
            assert field == field.strip() and field, f"empty or padded field: {line!r}"


def test_table_sizes() -> None:
    # The public bug check reference lists a few hundred codes; the exception table is smaller.
    assert len(_data_lines("bugchecks.tsv")) - 1 >= 400
    assert len(_data_lines("ntstatus.tsv")) - 1 >= 60


def test_bugcheck_names_are_unique() -> None:
    names = [line.split("\t")[1] for line in _data_lines("bugchecks.tsv")[1:]]
    assert len(names) == len(set(names))


def test_loader_rejects_malformed_table(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeFile:
        def __init__(self, text: str) -> None:
            self.text = text

        def joinpath(self, *_parts: str) -> FakeFile:
            return self

        def read_text(self, encoding: str = "utf-8") -> str:
            return self.text

    for bad in ["# c\nwrong\theader\n", "code\tname\n0x1\n", "code\tname\nzz\tNAME\n", "# only comments\n"]:
        monkeypatch.setattr(codes.resources, "files", lambda _pkg, text=bad: FakeFile(text))
        with pytest.raises(ValueError):
            codes._read_table("x.tsv", ("code", "name"))


# --- real values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x1, "APC_INDEX_MISMATCH"),
        (0xA, "IRQL_NOT_LESS_OR_EQUAL"),
        (0x19, "BAD_POOL_HEADER"),
        (0x1A, "MEMORY_MANAGEMENT"),
        (0x1E, "KMODE_EXCEPTION_NOT_HANDLED"),
        (0x3B, "SYSTEM_SERVICE_EXCEPTION"),
        (0x50, "PAGE_FAULT_IN_NONPAGED_AREA"),
        (0x7E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"),
        (0x7F, "UNEXPECTED_KERNEL_MODE_TRAP"),
        (0x8E, "KERNEL_MODE_EXCEPTION_NOT_HANDLED"),
        (0x9F, "DRIVER_POWER_STATE_FAILURE"),
        (0xC2, "BAD_POOL_CALLER"),
        (0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"),
        (0xC5, "DRIVER_CORRUPTED_EXPOOL"),
        (0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL"),
        (0xEF, "CRITICAL_PROCESS_DIED"),
        (0xF7, "DRIVER_OVERRAN_STACK_BUFFER"),
        (0x109, "CRITICAL_STRUCTURE_CORRUPTION"),
        (0x10D, "WDF_VIOLATION"),
        (0x116, "VIDEO_TDR_FAILURE"),
        (0x124, "WHEA_UNCORRECTABLE_ERROR"),
        (0x133, "DPC_WATCHDOG_VIOLATION"),
        (0x139, "KERNEL_SECURITY_CHECK_FAILURE"),
        (0x13A, "KERNEL_MODE_HEAP_CORRUPTION"),
        # in the corpus MANIFEST (a debugger that printed "Unknown bugcheck code (1aa)"); named by bugcodes.h
        (0x1AA, "EXCEPTION_ON_INVALID_STACK"),
        # the 2019 reference page had these two swapped; bugcodes.h and later revisions agree on this
        (0x170, "CLUSTER_CSV_CLUSSVC_DISCONNECT_WATCHDOG"),
        (0x171, "CRYPTO_LIBRARY_INTERNAL_ERROR"),
        (0x1CA, "SYNTHETIC_WATCHDOG_TIMEOUT"),
        (0x1D4, "UCMUCSI_LIVEDUMP"),
        (0x20001, "HYPERVISOR_ERROR"),
        (0x1000007E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M"),
        (0x1000008E, "KERNEL_MODE_EXCEPTION_NOT_HANDLED_M"),
        (0x4000008A, "THREAD_TERMINATE_HELD_MUTEX"),
        (0xC0000218, "STATUS_CANNOT_LOAD_REGISTRY_FILE"),
        (0xC000021A, "STATUS_SYSTEM_PROCESS_TERMINATED"),
        (0xC0000221, "STATUS_IMAGE_CHECKSUM_MISMATCH"),
        (0xDEADDEAD, "MANUALLY_INITIATED_CRASH1"),
    ],
)
def test_bugcheck_name_real_values(code: int, name: str | None) -> None:
    assert bugcheck_name(code) == name


@pytest.mark.parametrize(
    ("code", "name", "text"),
    [
        (0xC0000005, "STATUS_ACCESS_VIOLATION", "Access violation"),
        (0x80000003, "STATUS_BREAKPOINT", "Break instruction exception"),
        (0x80000004, "STATUS_SINGLE_STEP", "Single step exception"),
        (0x4000001E, "STATUS_WX86_SINGLE_STEP", "WOW64 single step exception"),
        (0x4000001F, "STATUS_WX86_BREAKPOINT", "WOW64 breakpoint"),
        (0x80000001, "STATUS_GUARD_PAGE_VIOLATION", "Guard page violation"),
        (0xC0000094, "STATUS_INTEGER_DIVIDE_BY_ZERO", "Integer divide-by-zero"),
        (0xC0000095, "STATUS_INTEGER_OVERFLOW", "Integer overflow"),
        (0xC00000FD, "STATUS_STACK_OVERFLOW", "Stack overflow"),
        (0xC0000374, "STATUS_HEAP_CORRUPTION", "Heap corruption"),
        (0xC0000409, "STATUS_STACK_BUFFER_OVERRUN", "Security check failure or stack buffer overrun"),
        (0xE06D7363, "CPP_EH_EXCEPTION", "C++ EH exception"),
        (0xE0434352, "CLR_EXCEPTION", "CLR exception"),
        (0x40080201, "EXCEPTION_RO_ORIGINATEERROR", "Windows Runtime Originate Error"),
    ],
)
def test_exception_real_values(code: int, name: str, text: str) -> None:
    # texts match the debugger's own event lines in the corpus, e.g.
    # "(1158.1c0c): Windows Runtime Originate Error - code 40080201 (first chance)"
    assert exception_name(code) == name
    assert exception_text(code) == text


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("c000001d", "STATUS_ILLEGAL_INSTRUCTION"),
        ("c0000096", "STATUS_PRIVILEGED_INSTRUCTION"),
        ("c0000006", "STATUS_IN_PAGE_ERROR"),
        ("c0000008", "STATUS_INVALID_HANDLE"),
        ("c000008c", "STATUS_ARRAY_BOUNDS_EXCEEDED"),
        ("c000008e", "STATUS_FLOAT_DIVIDE_BY_ZERO"),
        ("c0000093", "STATUS_FLOAT_UNDERFLOW"),
        ("c0000602", "STATUS_FAIL_FAST_EXCEPTION"),
        ("c0000420", "STATUS_ASSERTION_FAILURE"),
        ("c06d007e", "VCPP_EXCEPTION_ERROR_MOD_NOT_FOUND"),
        ("c06d007f", "VCPP_EXCEPTION_ERROR_PROC_NOT_FOUND"),
        ("80000002", "STATUS_DATATYPE_MISALIGNMENT"),
        ("c0000025", "STATUS_NONCONTINUABLE_EXCEPTION"),
        ("c0000026", "STATUS_INVALID_DISPOSITION"),
        ("c000013a", "STATUS_CONTROL_C_EXIT"),
        ("c0000142", "STATUS_DLL_INIT_FAILED"),
        ("c0000135", "STATUS_DLL_NOT_FOUND"),
        ("c0000139", "STATUS_ENTRYPOINT_NOT_FOUND"),
        ("c0000417", "STATUS_INVALID_CRUNTIME_PARAMETER"),
        ("c000041d", "STATUS_FATAL_USER_CALLBACK_EXCEPTION"),
        ("80000029", "STATUS_UNWIND_CONSOLIDATE"),
        ("c0000264", "STATUS_RESOURCE_NOT_OWNED"),
        ("406d1388", "MS_VC_EXCEPTION"),
        ("c0000194", "STATUS_POSSIBLE_DEADLOCK"),
        ("c00002c5", "STATUS_DATATYPE_MISALIGNMENT_ERROR"),
        ("c00002b4", "STATUS_FLOAT_MULTIPLE_FAULTS"),
        ("c00002b5", "STATUS_FLOAT_MULTIPLE_TRAPS"),
        ("c0000354", "STATUS_DEBUGGER_INACTIVE"),
        ("c000070a", "STATUS_THREADPOOL_HANDLE_EXCEPTION"),
        ("c000007b", "STATUS_INVALID_IMAGE_FORMAT"),
        ("c000021a", "STATUS_SYSTEM_PROCESS_TERMINATED"),
    ],
)
def test_exception_names_more(code: str, name: str) -> None:
    assert exception_name(code) == name


def test_codes_shared_by_both_tables_agree() -> None:
    # 0xc0000218 / 0xc000021a / 0xc0000221 are both NTSTATUS values and bug check codes.
    for code in (0xC0000218, 0xC000021A, 0xC0000221):
        assert bugcheck_name(code) == exception_name(code)


# --- input forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["0x3B", "0x3b", "3b", "3B", "0000003b", "0x0000003B", " 0x3b\n", "00000000`0000003b", "0n59", 0x3B],
)
def test_bugcheck_input_forms(form: int | str) -> None:
    assert parse_code(form) == 0x3B
    assert bugcheck_name(form) == "SYSTEM_SERVICE_EXCEPTION"


@pytest.mark.parametrize(
    "form",
    [
        "c0000005",
        "C0000005",
        "0xc0000005",
        "0xC0000005L",
        "00000000`c0000005",
        "ffffffff`c0000005",  # sign-extended in a 64-bit register
        "ffffffffc0000005",
        0xC0000005,
        -1073741819,  # the same NTSTATUS as a signed exit code
        "-1073741819",
        "0n3221225477",
    ],
)
def test_exception_input_forms(form: int | str) -> None:
    assert parse_code(form) == 0xC0000005
    assert exception_name(form) == "STATUS_ACCESS_VIOLATION"


def test_m_variant_fallback() -> None:
    # in the table: its own row wins
    assert bugcheck_name("0x1000007E") == "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M"
    assert bugcheck_name("1000008e") == "KERNEL_MODE_EXCEPTION_NOT_HANDLED_M"
    # not in the table: base name + _M
    assert bugcheck_name("0x1000000A") == "IRQL_NOT_LESS_OR_EQUAL_M"
    assert bugcheck_name(0x100000D1) == "DRIVER_IRQL_NOT_LESS_OR_EQUAL_M"
    assert bugcheck_name(0x1000001E) == "KMODE_EXCEPTION_NOT_HANDLED_M"
    # no base either: None
    assert bugcheck_name(0x10000000) is None
    assert bugcheck_name(0x10000087) is None
    # only 0x1000xxxx is an _M twin
    assert bugcheck_name(0x1001003B) is None
    assert bugcheck_name(0x2000003B) is None


@pytest.mark.parametrize("code", [0x0, 0x87, 0xFFFFFFFF, 0x12345678, "0x1ac", "deadbeef"])
def test_unknown_codes(code: int | str) -> None:
    assert bugcheck_name(code) is None
    assert exception_name(code) is None
    assert exception_text(code) is None


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "",
        "   ",
        "0x",
        "xyz",
        "0x3g",
        "3b h",
        "0x-3b",
        "--5",
        "0n",
        "0nx",
        "3.5",
        "0x" + "f" * 100,
        "9" * 1000,
        "\x00",
        "ß",
        True,
        False,
        2**64,
        -(2**40),
        3.0,
        b"3b",
        [0x3B],
        object(),
    ],
)
def test_garbage_input_gives_none(junk: object) -> None:
    assert parse_code(junk) is None  # type: ignore[arg-type]
    assert bugcheck_name(junk) is None  # type: ignore[arg-type]
    assert exception_name(junk) is None  # type: ignore[arg-type]
    assert exception_text(junk) is None  # type: ignore[arg-type]
    assert bugcheck_code_from_bucket(junk) is None  # type: ignore[arg-type]


# --- bucket ids --------------------------------------------------------------------------

# Copied from /work/shared/corpus/MANIFEST.tsv (failure_bucket column) and from the
# FAILURE_BUCKET_ID / BUCKET_ID / DEFAULT_BUCKET_ID / BUGCHECK_STR lines of the corpus pastes.
REAL_KERNEL_BUCKETS = [
    ("X64_0x3B_fltmgr!TreeUnlinkMulti+51", 0x3B),
    ("X64_0xC5_2_VBoxNetFlt+3aca", 0xC5),
    ("X64_0xc2_b_nt!ExDeleteResourceLite+199", 0xC2),
    ("0x124_0_GenuineIntel_PROCESSOR__UNKNOWN_IMAGE_GenuineIntel.sys", 0x124),
    ("0x124_16_GenuineIntel__UNKNOWN_IMAGE_GenuineIntel.sys", 0x124),
    ("0x139_1d_INVALID_BALANCED_TREE_Driver!unknown_function", 0x139),
    ("0x139_MISSING_GSFRAME_nt!KiFastFailDispatch", 0x139),
    ("0x13a_12_Driver!CreateRandomFile", 0x13A),
    (
        "0x153_KERNEL_LOCK_ENTRY_LEAKED_ON_THREAD_TERMINATION_LOCK_POINTER_NOT_NULL_nt!KeCleanupThreadState",
        0x153,
    ),
    ("0x162_TestDriver!unknown_function", 0x162),
    ("0x20_NULLAPC_KAPC_NEGATIVE_nt!PspExitThread", 0x20),
    ("0x39_nt!IopLoadUnloadDriver", 0x39),
    ("0x9F_4_IMAGE_usbehci.sys", 0x9F),
    ("0x9F_4_OpenZFS!zfs_unload_stage_1", 0x9F),
    ("0xC_mydriver+199e", 0xC),
    ("0xc4_IrqlExApcLte1_XDV_VRF_MyDriver!OnInterrupt", 0xC4),
    ("0xD1_W_USBPORT!USBPORT_BadRequestFlush+7c", 0xD1),
    # BUGCHECK_STR values use the same leading form
    ("0xc4_f6", 0xC4),
    ("0xc2_b", 0xC2),
    ("0xA", 0xA),
    ("0x109", 0x109),
    ("0x3B", 0x3B),
]

REAL_BUCKETS_WITHOUT_CODE = [
    # kernel crashes bucketed by failure class: 0x1E, 0x7E, 0xD1, 0xD1 in the MANIFEST
    "AV_nt!KiDispatchException",
    "AV_EvilDriver!unknown_function",
    "AV_CODE_AV_PAGED_IP_TestDriver!AccessPageableMemory",
    "AV_fileinfo!FIPfFileFSOpPostCreate",
    "WIN8_DRIVER_FAULT",
    "WIN7_DRIVER_FAULT",
    "VISTA_DRIVER_FAULT",
    "DRIVER_FAULT",
    # the BUCKET_ID of a 0x3B and of a 0x44 crash, though PAGE_NOT_ZERO names bug check 0x127
    "PAGE_NOT_ZERO",
    # user mode: an exception code, not a bug check
    "APPLICATION_HANG_cfffffff_win32u.dll!NtUserMsgWaitForMultipleObjectsEx",
    "FAIL_FAST_GUARD_ICALL_CHECK_FAILURE_ACTIONABLE_BlockNotBusy_c0000409_ucrtbase.dll!_free_base",
    "HEAP_CORRUPTION_ACTIONABLE_BlockNotBusy_DOUBLE_FREE_c0000374_ntdll.dll!RtlpFreeHeapInternal",
    "HEAP_CORRUPTION_ACTIONABLE_InvalidArgument_c0000374_heap_corruption!Mem.exe",
    "HEAP_CORRUPTION_c0000374_heap_corruption!Mem.exe",
    "INVALID_POINTER_EXECUTE_c0000005_beacon.exe!unknown_error_in_process",
    "INVALID_POINTER_READ_AVRF_c0000005_FreeImaged.dll!FreeImage_HasPixels",
    "INVALID_POINTER_READ_FILL_PATTERN_2b2b2b2b_c0000005_js-dbg-32-dm-windows-62f79d676e0e.exe!js::gc::TenuredCell::arena",
    "INVALID_POINTER_READ_c0000005_vcruntime140_ltl.dll!Unknown",
    "NULL_POINTER_READ_c0000005_ConsoleApplication2.exe!crash",
    "NULL_POINTER_WRITE_c0000005_AccessV.exe!main",
    "STATUS_BREAKPOINT_80000003_js-dbg-64-dm-windows-62f79d676e0e.exe!js::GetBytecodeLength",
    "STATUS_INTEGER_OVERFLOW_AVRF_c0000095_jscript9.dll!Js::TaggedInt::Divide",
    "WRONG_SYMBOLS_80000003_js-dbg-32-dm-windows-62f79d676e0e.exe!js::GetBytecodeLength",
    "WRONG_SYMBOLS_STACKIMMUNE_80000003_unknown!Unloaded",
    "WRONG_SYMBOLS_c00000fd_MSHTML.dll!RunHTMLApplication",
    "APPLICATION_FAULT_WRONG_SYMBOLS_STACKIMMUNE_unknown!js-dbg-32-prof-dm-windows-42c95d88aaaa.exe",
    "80000003_MyApp!FatalErrorBox+55",
    "STATUS_BREAKPOINT",
    "WRONG_SYMBOLS",
]


@pytest.mark.parametrize(("bucket", "code"), REAL_KERNEL_BUCKETS)
def test_bucket_real_kernel(bucket: str, code: int) -> None:
    assert bugcheck_code_from_bucket(bucket) == code


@pytest.mark.parametrize("bucket", REAL_BUCKETS_WITHOUT_CODE)
def test_bucket_real_without_code(bucket: str) -> None:
    assert bugcheck_code_from_bucket(bucket) is None


@pytest.mark.parametrize(
    ("bucket", "code"),
    [
        # the other documented shapes
        ("X64_0x7f_8_nt!KiDoubleFaultAbort+2b2", 0x7F),
        ("0x1E_c0000005_R_nt!ObpCloseHandleTableEntry+14f", 0x1E),
        ("0x3B_c0000005_fltmgr!TreeUnlinkMulti+51", 0x3B),
        ("0x7E_c0000005_mydriver!Dispatch+20", 0x7E),
        ("0x1000007E_c0000005_mydriver!Dispatch+20", 0x1000007E),
        ("X86_0xD1_mydriver+1a", 0xD1),
        ("ARM64_0x139_3_nt!KiFastFailDispatch", 0x139),
        ("LKD_0x141_Tdr:6_IMAGE_nvlddmkm.sys", 0x141),
        ("  0x3B_fltmgr!TreeUnlinkMulti+51  ", 0x3B),
        ("0x139_MISSING_GSFRAME_nt!KiFastFailDispatch (Failure.Bucket key)", 0x139),
        ("0xc000021a_winlogon.exe", 0xC000021A),
    ],
)
def test_bucket_shapes(bucket: str, code: int) -> None:
    assert bugcheck_code_from_bucket(bucket) == code


@pytest.mark.parametrize(
    "bucket",
    [
        "CODE_CORRUPTION",
        "MEMORY_CORRUPTION_ONE_BIT",
        "WHEA_UNCORRECTABLE_ERROR",  # a name, not an encoded code
        "0x3Bfoo_nt!x",  # hex runs into letters
        "0x87_nt!x",  # not a bug check in the table
        "0x_nt!x",
        "0x",
        "X64_",
        "nt!0x3B_x",  # not at the start
        "AV_0x3B_x",  # AV is not a platform tag
        "",
    ],
)
def test_bucket_without_code(bucket: str) -> None:
    assert bugcheck_code_from_bucket(bucket) is None


def test_tables_load_once() -> None:
    codes._bugchecks.cache_clear()
    codes._exceptions.cache_clear()
    bugcheck_name(0x3B)
    bugcheck_name(0x50)
    exception_name(0xC0000005)
    exception_text(0xC0000005)
    assert codes._bugchecks.cache_info().misses == 1
    assert codes._exceptions.cache_info().misses == 1
