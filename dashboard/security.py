"""What the web server enforces for every request: size cap, security headers, failed callbacks.

* ``MAX_CONTENT_LENGTH``: a request body larger than the upload limit plus its base64 and JSON
  overhead is refused by Flask (413) before anything reads it (a 200 MB body grew a worker by
  1 GB before this cap).
* Security headers on every response (the policy on all but the static files, which are no
  documents: :data:`STATIC_PATH_PREFIXES`): a Content-Security-Policy that allows only the app's own
  scripts plus the hashes of Dash's inline scripts (the renderer start and the clientside
  callbacks; computed once all callbacks are registered), inline *styles* (Dash and Leaflet set
  ``style`` attributes), images from the app, ``data:``/``blob:`` and the online basemap's tile
  host; ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, ``nosniff`` and
  ``Referrer-Policy: same-origin``.
* A callback that fails on a malformed payload (any client can POST anything to
  ``/_dash-update-component``) is logged as one warning line and answered without an update
  (:func:`callback_error`); a request Dash itself cannot parse gets a 400 with one warning line
  (:func:`install`), never a 500 with a traceback.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    import dash

    from dashboard.context import AppOptions

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
STATIC_PATH_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon", "/_quartiersatlas/")
"""Scripts, styles, icons and map geometry (streets, later layers) of the app (no documents):
no Content-Security-Policy header."""
REQUEST_OVERHEAD_BYTES = 1_000_000
"""Room for the JSON envelope and the other inputs of the upload callback."""
MAX_LOGGED_MESSAGE = 200


def max_content_length(upload_max_bytes: int) -> int:
    """Largest request body: an upload of ``upload_max_bytes`` as base64 data URL, plus room.

    Examples
    --------
    >>> max_content_length(10_000_000)
    14333336
    """
    base64_bytes = -(-upload_max_bytes // 3) * 4
    return base64_bytes + REQUEST_OVERHEAD_BYTES


def content_security_policy(script_hashes: list[str], *, tile_url: str | None = None) -> str:
    """The CSP header value for the app (script hashes from ``dash.Dash.csp_hashes()``).

    Examples
    --------
    >>> "frame-ancestors 'none'" in content_security_policy([])
    True
    """
    images = ["'self'", "data:", "blob:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.hostname:
            host = parts.hostname
            if "{s}" in tile_url:  # tile servers with sub-domains a, b, c
                host = "*." + host.split(".", 1)[1]
            images.append(f"{parts.scheme}://{host}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-~@+]+){2,}")
MAX_PUBLIC_MESSAGE = 300


def public_message(exc: BaseException | str) -> str:
    """An error text for users: absolute paths cut to their last part, one line, bounded.

    Server folders (temp files, the store, the browser's profile) are no business of a visitor.

    Examples
    --------
    >>> public_message("cannot read /tmp/tmpab12/upload/einrichtungen.csv: bad row")
    'cannot read …/einrichtungen.csv: bad row'
    """
    text = " ".join(str(exc).split())
    text = _PATH.sub(lambda m: "…/" + re.split(r"[/\\]", m.group(0))[-1], text)
    return text[:MAX_PUBLIC_MESSAGE]


def _one_line(exc: BaseException) -> str:
    """``Type: message (file:line)`` of the innermost frame, one line, bounded."""
    message = " ".join(str(exc).split())[:MAX_LOGGED_MESSAGE]
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"


def callback_error(exc: Exception) -> None:
    """Dash's ``on_error``: one warning line, and no update for the failed callback's outputs."""
    from dash import callback_context

    try:
        outputs = callback_context.outputs_list
        name = ",".join(o.get("id", "?") if isinstance(o, dict) else "?" for o in outputs)[:100]
    except Exception:
        name = "?"
    log.warning("callback %s failed on its payload: %s", name, _one_line(exc))
    return None


def install(app: dash.Dash, options: AppOptions) -> None:
    """Add the size cap, the security headers and the 400 for unparsable callback requests."""
    from flask import jsonify, request

    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = max_content_length(options.upload_max_bytes)
    csp: list[str] = []

    @server.after_request
    def _security_headers(response: Any) -> Any:
        if not csp:  # after the first request every inline (clientside) script is known
            csp.append(
                content_security_policy(
                    app.csp_hashes(), tile_url=getattr(options, "online_basemap_url", None)
                )
            )
        if not request.path.startswith(STATIC_PATH_PREFIXES):
            # a policy governs documents and what they run; on the ~20 script and style files of
            # a page load it would only add 800 bytes each to the wire (nosniff stays on them)
            response.headers["Content-Security-Policy"] = csp[0]
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @server.errorhandler(Exception)
    def _bad_callback_request(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        if request.path != CALLBACK_PATH:
            raise exc
        log.warning("malformed callback request refused: %s", _one_line(exc))
        return jsonify({"error": "malformed callback request"}), 400


__all__ = [
    "STATIC_HEADERS",
    "callback_error",
    "content_security_policy",
    "install",
    "max_content_length",
    "public_message",
]
