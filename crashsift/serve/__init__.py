"""The paste page: `crashsift serve`, an ASGI app (Starlette on uvicorn) over the crash store.

Paste text or upload files; each paste is stored (`crashsift.store.Store.ingest`) and the
browser goes to its result page: the parsed summary, the evidence findings, the similar past
crashes with their scores and reasons, the bucket it joined. Bucket pages show trends, `/report`
the pattern report of the whole store, and `/api/…` all of it as JSON.

- `app`: routes, middleware, error pages (`create_app`);
- `pages` / `api`: the HTML and JSON handlers; `views`: what they show;
- `intake`: taking pastes in; `pool`: one Store connection per request (why: see there);
- `safety`: body cap, security headers, CSRF, same-origin and API header checks, id formats;
- `storereport`: the store's pattern report, cached; `lookup`: reads the Store lacks;
- `cli`: the `crashsift serve` command.

`create_app` is imported lazily so that `crashsift` commands other than `serve` do not load
Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crashsift.serve.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from crashsift.serve.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
