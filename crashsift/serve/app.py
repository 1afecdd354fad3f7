"""The ASGI app: routes, middleware, error pages, and the state the handlers share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crashsift import htmlreport
from crashsift.pipeline import MAX_BYTES
from crashsift.serve import api, pages
from crashsift.serve.pool import StorePool
from crashsift.serve.safety import LOOPBACK, BodyLimit, Csrf, SecurityHeaders, body_limit, secure
from crashsift.serve.storereport import StoreReport
from crashsift.store import default_path

ROUTES = [
    Route("/", pages.index, methods=["GET"]),
    Route("/paste", pages.paste, methods=["POST"]),
    Route("/upload", pages.upload, methods=["POST"]),
    Route("/result", pages.result, methods=["GET"]),
    Route("/crash/{rid}", pages.crash, methods=["GET"]),
    Route("/paste/{pid}", pages.paste_text, methods=["GET"]),
    Route("/bucket/{bid}", pages.bucket, methods=["GET"]),
    Route("/buckets", pages.buckets, methods=["GET"]),
    Route("/report", pages.report, methods=["GET"]),
    Route("/api/paste", api.post_paste, methods=["POST"]),
    Route("/api/paste/{pid}", api.paste, methods=["GET"]),
    Route("/api/crash/{rid}", api.crash, methods=["GET"]),
    Route("/api/crash/{rid}/similar", api.similar, methods=["GET"]),
    Route("/api/bucket/{bid}", api.bucket, methods=["GET"]),
    Route("/api/buckets", api.buckets, methods=["GET"]),
]


def create_app(
    store_path: Path | None = None, max_bytes: int = MAX_BYTES, *, allowed_hosts: Sequence[str] = LOOPBACK
) -> Starlette:
    """The paste page over the store at `store_path` (default: `crashsift.store.default_path`),
    refusing pastes over `max_bytes` and requests whose Host is not in `allowed_hosts`."""
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False),
            Middleware(BodyLimit, limit=body_limit(max_bytes)),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=_lifespan,
    )
    app.state.pool = StorePool(Path(store_path) if store_path else default_path(), max_bytes)
    app.state.max_bytes = max_bytes
    app.state.csrf = Csrf()
    app.state.templates = htmlreport.environment(autoescape=True)  # pastes may be hostile
    app.state.report = StoreReport()
    return app


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    yield
    app.state.pool.close()


async def _http_error(request: Request, exc: Exception) -> Response:
    """A refused request: JSON under /api/, an error page elsewhere."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        body = {"error": exc.detail, "status": exc.status_code}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
    response = pages.error_page(request, exc.status_code, exc.detail)
    response.headers.update(exc.headers or {})
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug: a short page, no traceback (this handler runs outside the header middleware)."""
    response = PlainTextResponse("500 internal server error: the request failed (see the server's log)", 500)
    secure(response.headers)
    return response
