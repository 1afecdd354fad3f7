"""The HTML pages: paste and upload forms, a crash's result page, buckets, the store report.

Handlers that touch the store are plain functions: Starlette runs them in its threadpool, each
with a Store borrowed from the pool. The two form posts read the body on the event loop (capped)
and hand the Store work to the threadpool.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from crashsift import __version__
from crashsift.serve import intake, lookup, storereport, views
from crashsift.serve.safety import BUCKET_ID, FIELD, PASTE_ID, REPORT_ID, checked, require_same_origin

MEMBERS_SHOWN = 200  # members listed on a bucket page (the JSON has them all)
MAX_LISTED = 100  # pastes on one result page
BUCKETS_SHOWN = 1000  # rows of the bucket list (the JSON has them all)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    template = request.app.state.templates.get_template(f"serve/{name}.html.j2")
    return HTMLResponse(template.render(version=__version__, **context), status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return render(request, "error", status, code=status, phrase=phrase, message=message)


def index(request: Request) -> Response:
    state = request.app.state
    token = state.csrf.token_for(request)
    with state.pool.store() as store:
        counts = store.counts()
    response = render(request, "index", token=token, counts=counts, limit=state.max_bytes)
    state.csrf.set_cookie(response, token)
    return response


async def paste(request: Request) -> Response:
    state = request.app.state
    require_same_origin(request)
    async with intake.form(request, state.max_bytes) as data:
        state.csrf.check(request, intake.field(data, FIELD))
        text = intake.require_text(intake.field(data, "text"))
        source = intake.label(intake.field(data, "source"), "paste")
    result = await run_in_threadpool(intake.ingest, state.pool, text, source)
    return RedirectResponse(intake.result_url([result]), status_code=303)


async def upload(request: Request) -> Response:
    """Several files, one paste each. Sizes are checked before any is stored, so an upload with
    one file over the limit stores none."""
    state = request.app.state
    require_same_origin(request)
    async with intake.form(request, state.max_bytes) as data:
        state.csrf.check(request, intake.field(data, FIELD))
        files = intake.uploads(data)
        if not files:
            raise HTTPException(400, "no file chosen")
        too_big = [f.filename for f in files if (f.size or 0) > state.max_bytes]
        if too_big:
            raise HTTPException(413, f"file too large: {too_big[0]}; the limit is {state.max_bytes:,} bytes")
        given = intake.label(intake.field(data, "source"), "")
        pastes = [(intake.decode(await f.read()), _file_label(given, f.filename)) for f in files]
    results = [await run_in_threadpool(intake.ingest, state.pool, text, source) for text, source in pastes]
    return RedirectResponse(intake.result_url(results), status_code=303)


def _file_label(given: str, filename: str | None) -> str:
    name = intake.label(filename or "", "upload")
    return f"{given}: {name}" if given else name


def result(request: Request) -> Response:
    """The pastes just stored (`?paste=ID&paste=ID…`): their crashes, or that none was found."""
    ids = [int(checked(PASTE_ID, v, "paste")) for v in request.query_params.getlist("paste")][:MAX_LISTED]
    if not ids:
        raise HTTPException(404, "no paste named")
    with request.app.state.pool.store() as store:
        pastes = []
        for pid in ids:
            info = lookup.paste(store.db, pid)
            if info is None:
                raise HTTPException(404, "no such paste")
            pastes.append({"info": info, "crashes": [store.report(rid) for rid in info.report_ids]})
    return render(request, "result", pastes=pastes)


def crash(request: Request) -> Response:
    rid = checked(REPORT_ID, request.path_params["rid"], "crash")
    with request.app.state.pool.store() as store:
        stored = store.report(rid)
        if stored is None:
            raise HTTPException(404, "no such crash")
        context = {
            "r": stored,
            "paste": lookup.paste(store.db, stored.paste_id),
            "rows": views.summary(stored),
            "top": views.stack_top(stored),
            "similar": store.similar(rid, 10),
            "bucket": store.bucket(stored.bucket),
        }
    return render(request, "crash", **context)


def paste_text(request: Request) -> Response:
    """The paste exactly as stored, as text: never HTML, sandboxed should a browser try."""
    pid = int(checked(PASTE_ID, request.path_params["pid"], "paste"))
    with request.app.state.pool.store() as store:
        text = store.paste_text(pid)
    if text is None:
        raise HTTPException(404, "no such paste")
    headers = {"content-security-policy": "default-src 'none'; sandbox", "content-disposition": "inline"}
    return PlainTextResponse(text, headers=headers)


def bucket(request: Request) -> Response:
    bid = checked(BUCKET_ID, request.path_params["bid"], "bucket")
    with request.app.state.pool.store() as store:
        info = store.bucket(bid)
        if info is None:
            raise HTTPException(404, "no such bucket")
        members = lookup.members(store.db, bid, MEMBERS_SHOWN)
    return render(request, "bucket", b=info, bars=views.week_bars(info.weekly), members=members)


def buckets(request: Request) -> Response:
    with request.app.state.pool.store() as store:
        found = store.buckets()
    return render(request, "buckets", buckets=found[:BUCKETS_SHOWN], total=len(found))


def report(request: Request) -> Response:
    """The pattern report of the whole store (see `storereport`); its script allowed by hash."""
    with request.app.state.pool.store() as store:
        html = request.app.state.report.html(store)
    return HTMLResponse(html, headers={"content-security-policy": storereport.csp()})
