"""A small web server on 127.0.0.1 serving test pages, redirects and misbehaving URLs."""

from __future__ import annotations

import contextlib
import gzip
import ssl
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour bridge reopens after repairs</title>
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-03-05">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p class="byline">By Jane Reporter</p>
<p><time datetime="2024-03-05">2024-03-05</time></p>
<p>The harbour bridge in Port Elston reopened on Tuesday after eleven months of repairs.</p>
<p>Engineers replaced 240 steel cables, the city council said in a statement.</p>
<p>Mayor Ana Ruiz said the work cost 18 million euros, two million less than planned.</p>
<p>Ferry services that ran during the closure will stop at the end of the month.</p>
</article>
<footer>Copyright 2024 Example News. All rights reserved. Subscribe to our newsletter.</footer>
<script>var tracking = "do not index me";</script>
</body></html>
"""


def gzip_bomb(megabytes: int) -> bytes:
    """gzip of gzip of `megabytes` MB of zeros: about a kilobyte on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(2**20)
    once = b"".join(inner.compress(block) for _ in range(megabytes)) + inner.flush()
    return gzip.compress(once, 9)


DRIP_SECONDS = 8.0  # how long /drip and /drip-headers keep a fetch busy, a byte at a time


class PageServer:
    """Routes: /article.html, /notes.md, /redirect, /loop, /to-private, /big, /image.png,
    /slow, /missing, /drip, /drip-headers; `pages` (with `headers`, extra response headers
    by path) and `redirects` can be changed by a test, and `requests` records what came in."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {
            "/article.html": (200, "text/html; charset=utf-8", ARTICLE_HTML.encode()),
            "/notes.md": (200, "text/markdown", b"# Notes\n\nThe *kiln* reached 900 degrees.\n"),
            "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            "/big": (200, "text/plain", b"word " * 400_000),
            "/missing": (404, "text/html", b"<p>not here</p>"),
        }
        self.headers: dict[str, dict[str, str]] = {}
        self.redirects = {
            "/redirect": "/article.html",
            "/loop": "/loop",
            "/to-private": "http://10.0.0.1/secret",
        }
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.scheme, self.host = ("https" if tls else "http"), host
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        self.requests.append((request.path, dict(request.headers.items())))
        if request.path in self.redirects:
            request.send_response(302)
            request.send_header("Location", self.redirects[request.path])
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        if request.path in ("/drip", "/drip-headers"):
            drip(request, headers_too=request.path == "/drip-headers")
            return
        if request.path == "/slow":
            time.sleep(3)
        status, content_type, body = self.pages.get(request.path, (404, "text/plain", b"no"))
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in self.headers.get(request.path, {}).items():
            request.send_header(name, value)
        request.end_headers()
        # the fetcher may hang up on purpose: over its size cap or past its time-out
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            request.wfile.write(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def drip(request: BaseHTTPRequestHandler, headers_too: bool) -> None:
    """A page sent a byte every 0.1 s, each well within any per-read time-out; with
    `headers_too`, its headers are dripped as well."""
    body = b"x" * int(DRIP_SECONDS * 10)
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"X-Padding: "
        + b"p" * int(DRIP_SECONDS * 10)
        + b"\r\n\r\n"
    )
    slow = head + body if headers_too else body
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        if not headers_too:
            request.wfile.write(head)
        for byte in slow[: int(DRIP_SECONDS * 10)]:
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(0.1)
        request.wfile.write(slow[int(DRIP_SECONDS * 10) :])
