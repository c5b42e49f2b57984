"""A real HTTP server on 127.0.0.1 standing in for a provider's API (WeCom, DingTalk, Aliyun and Tencent SMS).

Each test starts one (fixture ``provider_api`` in conftest.py), tells it how to answer each path, and reads back
the requests it received: method, path, query, headers and body, exactly as the adapter sent them. A responder
returning ``HANG_UP`` makes the server close the connection without answering (a network failure).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Received:
    method: str
    path: str
    raw_query: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Received], tuple[int, Any]]
# What a responder returns for the server to cut the connection before any answer.
HANG_UP: tuple[int, Any] = (0, None)


@dataclass
class ProviderApi:
    """The fake API: ``answer[path]`` gives (status, JSON body) for a request to ``path``, sent with
    ``content_type``."""

    answer: dict[str, Responder] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    base: str = ""
    content_type: str = "application/json; charset=utf-8"

    def to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]


def _handler(api: ProviderApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(
                method=self.command,
                path=parts.path,
                raw_query=parts.query,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            api.received.append(request)
            responder = api.answer.get(parts.path)
            status, body = responder(request) if responder else (404, {"errcode": 404, "errmsg": "no such path"})
            if (status, body) == HANG_UP:
                self.close_connection = True
                return
            data = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", api.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def provider_api_running() -> Iterator[ProviderApi]:
    """Start the fake API on a free port of 127.0.0.1; stop it on exit."""
    api = ProviderApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
