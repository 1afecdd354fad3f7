"""Taking pastes in: form limits, file decoding, source labels, the Store call, and where the
browser goes next."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from crashsift.pipeline import InputTooLarge
from crashsift.serve.pool import StorePool
from crashsift.serve.safety import body_limit
from crashsift.store import IngestResult, PasteTooLarge

MAX_FILES = 100  # files per upload
MAX_LABEL = 200  # characters of a source label


@asynccontextmanager
async def form(request: Request, max_bytes: int) -> AsyncIterator[FormData]:
    """The posted form, a text field allowed as large as a paste (the body cap bounds it all);
    uploaded files are closed afterwards."""
    limit = body_limit(max_bytes)
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES + 10, max_part_size=limit) as data:
        yield data


def field(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def label(value: str, default: str) -> str:
    """A source label: what the user typed (trimmed, at most `MAX_LABEL` characters), else `default`."""
    value = " ".join(value.split())[:MAX_LABEL]
    return value or default


def uploads(data: FormData) -> list[UploadFile]:
    """The chosen files (a browser sends one empty part when none was chosen)."""
    return [f for f in data.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)]


def decode(data: bytes) -> str:
    """File bytes as text, as `crashsift.pipeline.parse_file` reads them: UTF-16 with a BOM,
    else UTF-8 with bad bytes replaced."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def require_text(text: str) -> str:
    """The paste, unless empty. Text that holds no crash (blank lines, a quote) is stored all the
    same: it is what the user sent, and a later parser may read it."""
    if not text:
        raise HTTPException(400, "nothing to store: the paste is empty")
    return text


def ingest(pool: StorePool, text: str, source: str) -> IngestResult:
    """Store one paste (in a worker thread); a paste over the limit is a 413, nothing stored."""
    with pool.store() as store:
        try:
            return store.ingest(text, source)
        except (PasteTooLarge, InputTooLarge) as err:  # the Store's limit, or the parser's if lower
            raise HTTPException(413, f"paste too large: {err}") from err


def result_url(results: list[IngestResult]) -> str:
    """The crash page when the pastes hold exactly one crash, else the page listing them."""
    ids = [rid for r in results for rid in r.report_ids]
    if len(results) == 1 and len(ids) == 1:
        return f"/crash/{ids[0]}"
    return "/result?" + urlencode([("paste", r.paste_id) for r in results])
