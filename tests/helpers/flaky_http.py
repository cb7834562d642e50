"""A loopback HTTP file server that misbehaves like a rate-limited CDN: 503 SlowDown first, then a dropped
connection halfway through the body; Range requests are honoured so clients can resume."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class RootHandler(BaseHTTPRequestHandler):
    """Serves files under `root`; `state` counts hits per path (shared by the test)."""

    def __init__(self, *args, root: Path, state: dict, **kwargs):
        self.root, self.state = root, state
        super().__init__(*args, **kwargs)

    def log_message(self, *args):  # keep test output quiet
        pass


class FlakyHandler(RootHandler):

    def do_GET(self):
        path = self.root / self.path.lstrip("/")
        with self.state["lock"]:
            n = self.state["hits"].get(self.path, 0)
            self.state["hits"][self.path] = n + 1
        if not path.is_file():
            self.send_error(404)
            return
        if n == 0:  # first attempt: rate limited
            self.send_response(503, "Slow Down")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = path.read_bytes()
        rng = self.headers.get("Range")
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        body = data[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if n == 1 and len(body) > 10:  # second attempt: drop the connection halfway
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@contextmanager
def serve(root: Path, handler: type[BaseHTTPRequestHandler]):
    """Serve `root` with `handler` on 127.0.0.1 (random port); yields (base_url, state with per-path hit counts)."""
    state = {"hits": {}, "lock": threading.Lock()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, root=Path(root), state=state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def flaky_server(root: Path):
    """`serve` with FlakyHandler: 503 first, then a connection dropped halfway."""
    return serve(root, FlakyHandler)


class CutBodyHandler(RootHandler):
    """The first GET of a file sends half its body with no Content-Length and closes: a cut the client cannot see.
    Later GETs and every HEAD are honest."""

    def do_HEAD(self):
        path = self.root / self.path.lstrip("/")
        self.send_response(200 if path.is_file() else 404)
        self.send_header("Content-Length", str(path.stat().st_size) if path.is_file() else "0")
        self.end_headers()

    def do_GET(self):
        path = self.root / self.path.lstrip("/")
        with self.state["lock"]:
            n = self.state["hits"].get(self.path, 0)
            self.state["hits"][self.path] = n + 1
        data = path.read_bytes()
        self.send_response(200)
        if n == 0:
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def cut_body_server(root: Path):
    """`serve` with CutBodyHandler: the first GET of each file is cut short, with no Content-Length."""
    return serve(root, CutBodyHandler)
