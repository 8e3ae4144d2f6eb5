"""A local HTTP server on 127.0.0.1 that imitates the geoportal and the Transparenzportal.

Used by tests/layers/test_fetch.py and tests/cli/test_fetch_cli.py, which load it by path (the
tests folders are not packages). Nothing here touches the internet.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# A geoportal answer to `.../MapServer/N/query?...&f=geojson`: a FeatureCollection of two points.
GEOJSON_OK = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 1,
                "geometry": {"type": "Point", "coordinates": [8.4037, 49.0069]},
                "properties": {
                    "NAME": "Testeinrichtung A",
                    "GRUPPENNAME_DE": "Pflegeheime",
                    "UPDATED": 1700000000000,
                },
            },
            {
                "type": "Feature",
                "id": 2,
                "geometry": {"type": "Point", "coordinates": [8.4662, 48.9985]},
                "properties": {
                    "NAME": "Testeinrichtung B",
                    "GRUPPENNAME_DE": "Pflegeheime",
                    "UPDATED": 1700000000000,
                },
            },
        ],
    },
    ensure_ascii=False,
).encode("utf-8")

# A Transparenzportal datastore dump (`/datastore/dump/<id>?bom=True`): UTF-8 with BOM, CRLF.
CSV_OK = (
    '\ufeff"_id","Stadtteil","Jahr","Personen","männlich","weiblich"\r\n'
    '1,"Innenstadt-Ost","2021",310,140,170\r\n'
    '2,"Innenstadt-West","2021",620,270,350\r\n'
    '3,"Südstadt","2021",1020,430,590\r\n'
).encode()

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Wartungsarbeiten</title></head>"
    b"<body><h1>Der Dienst ist vor\xc3\xbcbergehend nicht erreichbar</h1></body></html>\n"
)


@dataclass
class Reply:
    """How the server answers one path: status, body, headers, and optional misbehaviour."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    delay_s: float = 0.0  # wait before answering (for timeouts)
    declared_length: int | None = None  # Content-Length to announce (larger = body cut off)


@dataclass
class FixtureServer:
    """Routes: exact path first, then the longest matching prefix (``"/a/*"``)."""

    routes: dict[str, Reply] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def reply_for(self, raw_path: str) -> Reply | None:
        path = urlsplit(raw_path).path
        if path in self.routes:
            return self.routes[path]
        prefixes = [key for key in self.routes if key.endswith("*") and path.startswith(key[:-1])]
        return self.routes[max(prefixes, key=len)] if prefixes else None


def _handler(state: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            reply = state.reply_for(self.path)
            if reply is None:
                reply = Reply(b"not found", status=404, content_type="text/plain")
            if reply.delay_s and state.stop.wait(reply.delay_s):
                return  # server is shutting down: answer nothing
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                length = reply.declared_length or len(reply.body)
                self.send_header("Content-Length", str(length))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:  # the client gave up (timeout): nothing to do
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def start_server() -> tuple[FixtureServer, _Server, threading.Thread]:
    state = FixtureServer()
    server = _Server(("127.0.0.1", 0), _handler(state))
    host, port = server.server_address[:2]
    state.url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return state, server, thread


def stop_server(state: FixtureServer, server: _Server, thread: threading.Thread) -> None:
    state.stop.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (to check that a folder stayed identical)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
