"""What keeps the paste page safe to run: the request body cap, security headers, the CSRF
token, the same-origin check, the API's custom header, host names, and id formats.

- `BodyLimit` refuses a body over the cap with 413: at once when Content-Length says so, else
  as soon as the streamed body passes it — before the form parser or the Store sees it.
- `SecurityHeaders` puts a Content-Security-Policy that allows no script at all (the pages need
  none), nosniff, a same-origin Referrer-Policy and no framing on every response.
- `Csrf`: a signed double-submit token — a random nonce signed with a per-process secret, in a
  SameSite=Strict, HttpOnly cookie and in the form's hidden field; a form post must carry both,
  equal and validly signed. A cookie planted by another site on the same host name (ports do
  not separate cookies) fails the signature. Restarting the server invalidates open forms.
- `require_same_origin`: a POST whose Origin (or, without one, Referer) is not this host is
  refused; clients that send neither (curl) still need the token or the API header.
- `require_api_headers`: the JSON API takes `application/json` or `text/plain` with the
  `X-Crashsift: 1` header, which no cross-site form can send (a custom header needs a CORS
  preflight, and the app answers none).
- `hosts_for`: the Host names accepted (against DNS rebinding): loopback names when bound to
  loopback.
- Ids in URLs must match the Store's formats and are only ever looked up in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}
LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]  # as Host headers name them
COOKIE = "crashsift_csrf"
FIELD = "csrf"
API_HEADER = "x-crashsift"
API_TYPES = ("application/json", "text/plain")

REPORT_ID = re.compile(r"p[1-9][0-9]{0,17}-[1-9][0-9]{0,5}")
BUCKET_ID = re.compile(r"B-[0-9a-f]{6,40}")
PASTE_ID = re.compile(r"[1-9][0-9]{0,17}")  # below 2**63: SQLite's INTEGER


def body_limit(max_bytes: int) -> int:
    """The request body cap: the paste limit, a quarter more for form framing and JSON
    escaping, and 16 KiB for the other fields."""
    return max_bytes + max_bytes // 4 + 16_384


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request is larger than this server takes ({limit:,} bytes)")


class BodyLimit:
    """ASGI middleware capping request bodies at `limit` bytes (see the module docstring). The
    413 is raised where the body is read, so the app's error pages and JSON errors apply."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            if declared is not None and declared > self.limit:
                raise BodyTooLarge(self.limit)
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, capped, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we are called
    return None


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, with_headers)


def secure(headers: MutableHeaders) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)


@dataclass(slots=True)
class Csrf:
    """Signed double-submit tokens (see the module docstring)."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def token_for(self, request: Request) -> str:
        """The request's cookie token when it is ours, else a new one."""
        cookie = request.cookies.get(COOKIE, "")
        return cookie if self._valid(cookie) else self._mint()

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")

    def check(self, request: Request, submitted: str) -> None:
        cookie = request.cookies.get(COOKIE, "")
        if not (self._valid(cookie) and hmac.compare_digest(cookie.encode(), submitted.encode())):
            raise HTTPException(
                403, "the form's security token is missing or stale: reload the paste page and submit again"
            )

    def _mint(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce)}"

    def _valid(self, token: str) -> bool:
        nonce, _, mac = token.partition(".")
        return bool(nonce) and hmac.compare_digest(mac.encode(), self._sign(nonce).encode())

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()


def require_same_origin(request: Request) -> None:
    """Refuse a request a browser sent from another site (module docstring)."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return
    ours = _endpoint(f"{request.url.scheme}://{request.headers.get('host', '')}")
    if ours is None or _endpoint(claimed) != ours:
        raise HTTPException(403, "cross-site request refused: the request did not come from this page")


def _endpoint(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the port made explicit; None when it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


def require_api_headers(request: Request) -> None:
    """The JSON POST API's guard against cross-site posts (module docstring)."""
    require_same_origin(request)
    if request.headers.get(API_HEADER) != "1":
        raise HTTPException(403, "the API needs the header 'X-Crashsift: 1'")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in API_TYPES:
        raise HTTPException(415, "send the paste as application/json or text/plain")


def hosts_for(bind: str) -> list[str]:
    """Host names the app answers to when listening on `bind`: loopback names for a loopback
    address; any name for a wildcard address; else loopback names and the address itself."""
    if bind in ("0.0.0.0", "::", ""):
        return ["*"]
    if bind == "localhost" or _is_loopback(bind):
        return list(LOOPBACK)
    return [*LOOPBACK, f"[{bind.lower()}]" if ":" in bind else bind.lower()]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def checked(pattern: re.Pattern[str], text: str, what: str) -> str:
    """`text` when it has the form of an id, else 404 (ids never reach anything but SQL)."""
    if not pattern.fullmatch(text):
        raise HTTPException(404, f"no such {what}")
    return text
