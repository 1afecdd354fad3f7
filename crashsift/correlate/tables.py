"""A correlation as pandas DataFrames for notebooks, and as CSV files for everything else.

- `reports_frame`: one row per crash record (its signature, driver and bucket);
- `frames_frame`: one row per normalised frame of each record's crash stack (top frame 0);
- `buckets_frame`: one row per bucket, members joined with `MEMBER_SEP`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crashsift.correlate.engine import Correlation

REPORT_COLUMNS = [
    "id",
    "path",
    "start_line",
    "mode",
    "arch",
    "bugcheck",
    "exception",
    "signature",
    "driver",
    "bucket",
    "n_frames",
]
FRAME_COLUMNS = ["report", "position", "key", "module", "function"]
BUCKET_COLUMNS = ["id", "signature", "size", "members"]
MEMBER_SEP = ";"
CSV_FILES = ("reports.csv", "frames.csv", "buckets.csv")


class OutputPathError(OSError):
    """A place the user asked to write to that cannot be written as asked."""


def reports_frame(result: Correlation) -> pd.DataFrame:
    bucket_of = {rid: b.id for b in result.buckets for rid in b.members}
    rows = []
    for rec in result.records:
        sig = result.signatures[rec.id]
        rows.append(
            [
                rec.id,
                rec.path,
                rec.start_line,
                rec.mode,
                rec.arch,
                rec.bugcheck,
                rec.exception,
                sig.text,
                sig.driver,
                bucket_of.get(rec.id),
                len(rec.frames),
            ]
        )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def frames_frame(result: Correlation) -> pd.DataFrame:
    rows = [
        [rec.id, i, f.key, f.module, f.function] for rec in result.records for i, f in enumerate(rec.frames)
    ]
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def buckets_frame(result: Correlation) -> pd.DataFrame:
    rows = [[b.id, b.signature, len(b.members), MEMBER_SEP.join(b.members)] for b in result.buckets]
    return pd.DataFrame(rows, columns=BUCKET_COLUMNS)


def check_file_target(path: Path) -> None:
    """Refuse to write a file over a directory, a device, through a symbolic link, or into a
    folder that is not there."""
    if not path.parent.is_dir():
        raise OutputPathError(f"{path}: no folder {path.parent} to write it in")
    if path.is_symlink():
        raise OutputPathError(f"{path}: is a symbolic link; not writing through it")
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise OutputPathError(f"{path}: is {kind}")


def check_folder_target(folder: Path) -> None:
    """Refuse a folder that exists as something else, or files in it that are not plain files."""
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{folder}: exists and is not a directory")
    if folder.is_dir():
        for name in CSV_FILES:
            check_file_target(folder / name)


def write_csv(result: Correlation, folder: Path) -> list[Path]:
    """Write reports.csv, frames.csv and buckets.csv into `folder` (created if missing)."""
    check_folder_target(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = (reports_frame(result), frames_frame(result), buckets_frame(result))
    written = []
    for name, frame in zip(CSV_FILES, frames, strict=True):
        frame.to_csv(folder / name, index=False)
        written.append(folder / name)
    return written
