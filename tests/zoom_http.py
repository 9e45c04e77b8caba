"""Zoom over real HTTP for tests with other processes (a real ``qcluster``): the same
registrant keeping as :class:`tests.providers.zoom_fixtures.KeptRegistrants` (one
registrant per email, status updates, lookups), served by a threaded HTTP server on
loopback, with a token endpoint and a delay per API call (a slow Zoom, so a worker
can be killed while calls are in flight).

    with ZoomOverHTTP(delay=0.05) as zoom:
        zoom.api_url, zoom.oauth_url   # point WAGTAIL_WEBINARS at these
        zoom.kept.adds                 # email -> adds Zoom received
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from tests.providers.zoom_fixtures import MEETING_ID, KeptRegistrants


class _Routes:
    """What KeptRegistrants registers its callbacks on (the ``FakeZoom`` interface it uses)."""

    def __init__(self, api_url: str):
        self.api_url = api_url
        self.exact: dict[tuple[str, str], object] = {}
        self.patterns: list[tuple[str, re.Pattern, object]] = []
        self.mock = SimpleNamespace(add_callback=self._add_pattern)

    def url(self, path: str) -> str:
        return self.api_url + path

    def callback(self, method: str, path: str, func) -> None:
        self.exact[(method, self.url(path))] = func

    def _add_pattern(self, method: str, pattern, callback) -> None:
        self.patterns.append((method, pattern, callback))

    def find(self, method: str, url: str):
        bare = url.split("?", 1)[0]
        if (method, bare) in self.exact:
            return self.exact[(method, bare)]
        for wanted, pattern, func in self.patterns:
            if wanted == method and pattern.match(bare):
                return func
        return None


class ZoomOverHTTP:
    def __init__(self, delay: float = 0.0, meeting_id: str = MEETING_ID):
        self.delay = delay
        self.token_requests = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = base + "/v2"
        self.oauth_url = base + "/oauth/token"
        self.routes = _Routes(self.api_url)
        self.kept = KeptRegistrants(self.routes, meeting_id)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ZoomOverHTTP:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, method: str, path: str, body: bytes) -> tuple[int, dict, str]:
        if path.startswith("/oauth/token"):
            with self._lock:
                self.token_requests += 1
            token = {"access_token": "http-token-do-not-log", "expires_in": 3600}
            return 200, {}, json.dumps(token)
        url = self.api_url.rsplit("/v2", 1)[0] + path
        func = self.routes.find(method, url)
        if func is None:
            return 404, {}, json.dumps({"code": 404, "message": "No such endpoint here."})
        time.sleep(self.delay)
        with self._lock:  # one request at a time changes the registrants
            return func(SimpleNamespace(body=body, url=url))

    def _handler(self):
        zoom = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, text = zoom._answer(self.command, self.path, body)
                data = (text or "").encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format, *args):  # quiet
                pass

        return Handler
