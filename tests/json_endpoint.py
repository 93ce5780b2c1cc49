"""A local endpoint for the Cognito JSON APIs whose every answer a test function makes:
the HTTP half of the hostile and the scripted servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (status, body): a dict is sent as JSON, a str as it is
Answer = tuple[int, Any]
Responder = Callable[[str, dict[str, Any]], Answer]

AMZ_JSON = "application/x-amz-json-1.1"


@contextmanager
def serve_json_api(
    respond: Responder, now: Callable[[], float], *, text_type: str = AMZ_JSON
) -> Iterator[str]:
    """Serve on 127.0.0.1 (ephemeral port) until the block ends; yields the URL.

    ``respond(operation, request)`` answers each POST (the operation from X-Amz-Target,
    the request its JSON body, {} when it does not parse); the Date header is ``now()``.
    A str body goes out as ``text_type``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                request = {}
            operation = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
            status, body = respond(operation, request)
            data = json.dumps(body).encode() if isinstance(body, dict) else str(body).encode()
            self.send_response_only(status)
            self.send_header("Date", formatdate(now(), usegmt=True))
            self.send_header("Content-Type", AMZ_JSON if isinstance(body, dict) else text_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
