"""The cache of built parsers: private, in the user's cache directory, never trusted blindly."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from conftest import CORPUS

SECOND = CORPUS / "seed" / "fltmgr-second-crash-k.txt"
PARSE = (
    "import json, sys; from crashsift.pipeline import parse_file; "
    "print(json.dumps([len(s.frames) for r in parse_file(sys.argv[1]) for s in r.stacks]))"
)


def run(env: dict[str, str]) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(SECOND)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_cache_is_private_and_reused(tmp_path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "CRASHSIFT_NO_CACHE": ""}
    assert run(env) == [20]
    folder = tmp_path / "crashsift"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert files and all(name.startswith("stack-start-") for name in files)
    assert run(env) == [20]  # read back from the cache, same result


def test_a_tampered_cache_file_is_not_used(tmp_path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "CRASHSIFT_NO_CACHE": ""}
    run(env)
    (cached,) = (tmp_path / "crashsift").iterdir()
    cached.write_bytes(b"0" * 64 + b"\nnot a pickle at all")
    assert run(env) == [20]  # lark sees the digest differs and rebuilds


def test_no_cache_when_asked(tmp_path) -> None:
    assert run({"XDG_CACHE_HOME": str(tmp_path), "CRASHSIFT_NO_CACHE": "1"}) == [20]
    assert not (tmp_path / "crashsift").exists()
