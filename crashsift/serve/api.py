"""The JSON API: the same data as the pages, for tools.

`POST /api/paste` takes ``{"text": …, "source": …}`` as application/json, or the raw paste as
text/plain (source from ``?source=``), always with the ``X-Crashsift: 1`` header (see
`safety.require_api_headers`). It answers 201 for a new paste, 200 for one seen before, with
the paste's crashes, their similar past crashes and buckets.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crashsift.serve import intake, lookup, views
from crashsift.serve.pool import StorePool
from crashsift.serve.safety import BUCKET_ID, PASTE_ID, REPORT_ID, checked, require_api_headers
from crashsift.store import IngestResult, Store

SIMILAR = 10  # similar crashes returned unless ?limit= says otherwise (at most MAX_SIMILAR)
MAX_SIMILAR = 100


def crash(request: Request) -> Response:
    rid = checked(REPORT_ID, request.path_params["rid"], "crash")
    with request.app.state.pool.store() as store:
        stored = store.report(rid)
        if stored is None:
            raise HTTPException(404, "no such crash")
        return JSONResponse(views.crash_json(stored, lookup.paste(store.db, stored.paste_id)))


def similar(request: Request) -> Response:
    rid = checked(REPORT_ID, request.path_params["rid"], "crash")
    limit = _limit(request.query_params.get("limit"))
    with request.app.state.pool.store() as store:
        if store.report(rid) is None:
            raise HTTPException(404, "no such crash")
        return JSONResponse({"id": rid, "similar": views.similar_json(store.similar(rid, limit))})


def _limit(value: str | None) -> int:
    if value is None:
        return SIMILAR
    if not value.isdigit() or not 1 <= int(value) <= MAX_SIMILAR:
        raise HTTPException(400, f"limit must be a whole number from 1 to {MAX_SIMILAR}")
    return int(value)


def bucket(request: Request) -> Response:
    bid = checked(BUCKET_ID, request.path_params["bid"], "bucket")
    with request.app.state.pool.store() as store:
        info = store.bucket(bid)
    if info is None:
        raise HTTPException(404, "no such bucket")
    return JSONResponse(views.bucket_json(info))


def buckets(request: Request) -> Response:
    with request.app.state.pool.store() as store:
        return JSONResponse({"buckets": [views.bucket_brief(b) for b in store.buckets()]})


def paste(request: Request) -> Response:
    """A paste's record and its crashes (the text itself is at /paste/ID)."""
    pid = int(checked(PASTE_ID, request.path_params["pid"], "paste"))
    with request.app.state.pool.store() as store:
        info = lookup.paste(store.db, pid)
    if info is None:
        raise HTTPException(404, "no such paste")
    return JSONResponse(views.paste_json(info))


async def post_paste(request: Request) -> Response:
    require_api_headers(request)
    body = await request.body()
    text, source = _paste_body(request, body)
    pool = request.app.state.pool
    result, out = await run_in_threadpool(_ingest, pool, intake.require_text(text), source)
    return JSONResponse(out, status_code=201 if result.new else 200)


def _paste_body(request: Request, body: bytes) -> tuple[str, str]:
    """(text, source) from a JSON object or a text/plain body."""
    if request.headers["content-type"].split(";")[0].strip().lower() == "text/plain":
        return intake.decode(body), intake.label(request.query_params.get("source", ""), "api")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise HTTPException(400, f"the body is not JSON: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise HTTPException(400, 'send an object with a "text" string (and optionally "source")')
    source = data.get("source")
    return data["text"], intake.label(source if isinstance(source, str) else "", "api")


def _ingest(pool: StorePool, text: str, source: str) -> tuple[IngestResult, dict[str, Any]]:
    result = intake.ingest(pool, text, source)
    with pool.store() as store:
        crashes = [_crash_brief(store, rid) for rid in result.report_ids]
    out = {
        "paste_id": result.paste_id,
        "new": result.new,
        "times_seen": result.times_seen,
        "report_ids": result.report_ids,
        "crashes": crashes,
        "page": intake.result_url([result]),
    }
    return result, out


def _crash_brief(store: Store, rid: str) -> dict[str, Any]:
    stored = store.report(rid)
    assert stored is not None  # just stored, and reports are never deleted but by reparse
    info = store.bucket(stored.bucket)
    return {
        "id": rid,
        "url": f"/api/crash/{rid}",
        "signature": stored.signature,
        "bugcheck": stored.bugcheck,
        "exception": stored.exception,
        "driver": stored.driver,
        "bucket": views.bucket_brief(info) if info else None,
        "similar": views.similar_json(store.similar(rid, SIMILAR)),
    }
