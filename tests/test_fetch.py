import gzip
import logging
import time
import tracemalloc
from ipaddress import ip_network
from typing import Any

import pytest

from bot.errors import FetchError
from bot.fetch import FetchPolicy, check_address, fetch
from bot.readers import document_from, load_document
from tests.page_server import ARTICLE_HTML, DRIP_SECONDS, gzip_bomb

LOCAL = FetchPolicy(allow_private=True, timeout_seconds=1.0, max_bytes=1_000_000)


def test_a_page_on_loopback_is_fetched_when_allowed(page_server: Any) -> None:
    raw = fetch(page_server.url("/article.html"), LOCAL)
    assert raw.kind == "html" and raw.charset == "utf-8"
    assert document_from(raw).title == "Harbour bridge reopens after repairs"


def test_redirects_are_followed_to_a_limit(page_server: Any) -> None:
    raw = fetch(page_server.url("/redirect"), LOCAL)
    assert b"Port Elston" in raw.data
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        fetch(page_server.url("/loop"), LOCAL)


def test_markdown_by_content_type(page_server: Any) -> None:
    raw = fetch(page_server.url("/notes.md"), LOCAL)
    assert raw.kind == "markdown"
    assert document_from(raw).sentences[-1].text == "The kiln reached 900 degrees."


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/image.png", "image/png, not HTML or text"),
        ("/big", "larger than 1,000,000 bytes"),
        ("/missing", "HTTP 404"),
        ("/slow", "did not finish within 1 s"),
    ],
)
def test_bad_responses_are_one_line_errors(page_server: Any, path: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetch(page_server.url(path), LOCAL)


def test_a_redirect_to_a_private_address_is_checked_again(page_server: Any) -> None:
    only_loopback = FetchPolicy(allowed_networks=(ip_network("127.0.0.1/32"),))
    assert fetch(page_server.url("/article.html"), only_loopback).kind == "html"
    with pytest.raises(FetchError, match=r"private address \(10\.0\.0\.1\)"):
        fetch(page_server.url("/to-private"), only_loopback)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/a",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_addresses_are_refused_without_the_flag(url: str) -> None:
    with pytest.raises(FetchError, match="private address"):
        check_address(url, allow_private=False)
    check_address(url, allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a", "http:///nohost"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(FetchError, match="Only http"):
        check_address(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::7f00:1]/",  # IPv4-compatible 127.0.0.1
        "http://[::ffff:a9fe:a9fe]/",  # IPv4-mapped 169.254.169.254
        "http://[fec0::1]/",  # site-local
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="private address"):
        check_address(url, allow_private=False)


def test_a_gzip_bomb_is_refused_with_memory_bounded_by_the_cap(page_server: Any) -> None:
    bomb = gzip_bomb(100)  # 100 MB of zeros in about a kilobyte
    page_server.pages["/bomb"] = (200, "text/plain", bomb)
    page_server.headers["/bomb"] = {"Content-Encoding": "gzip, gzip"}
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="more than 1,000,000 bytes"):
            fetch(page_server.url("/bomb"), LOCAL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(bomb) < 2000 and peak < 20 * 2**20, peak
    asked = dict(page_server.requests)["/bomb"]
    assert asked.get("Accept-Encoding") == "identity"


def test_gzip_a_server_sends_anyway_is_read_whole_or_refused(page_server: Any) -> None:
    body = ARTICLE_HTML.encode()
    half = len(body) // 2
    members = gzip.compress(body[:half]) + gzip.compress(body[half:])
    page_server.pages["/gz"] = (200, "text/html; charset=utf-8", members)
    page_server.headers["/gz"] = {"Content-Encoding": "gzip"}
    assert fetch(page_server.url("/gz"), LOCAL).data == body
    page_server.pages["/gz-cut"] = (200, "text/html", gzip.compress(body)[:-40])
    page_server.headers["/gz-cut"] = {"Content-Encoding": "gzip"}
    with pytest.raises(FetchError, match="cut short"):
        fetch(page_server.url("/gz-cut"), LOCAL)
    page_server.pages["/zstd"] = (200, "text/html", b"(\xb5/\xfd" + bytes(64))
    page_server.headers["/zstd"] = {"Content-Encoding": "zstd"}
    with pytest.raises(FetchError, match="compressed as 'zstd'"):
        fetch(page_server.url("/zstd"), LOCAL)


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_one_deadline_bounds_the_whole_fetch(page_server: Any, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="did not finish within 1 s"):
        fetch(page_server.url(path), LOCAL)
    elapsed = time.monotonic() - started
    assert elapsed < min(3.0, DRIP_SECONDS / 2), elapsed


def test_resolving_the_name_is_inside_the_deadline(page_server: Any) -> None:
    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(5)
        return ["127.0.0.1"]

    policy = FetchPolicy(allow_private=True, timeout_seconds=0.5, resolver=slow_resolver)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"did not finish within 0\.5 s"):
        fetch(f"http://slow.test:{page_server.port}/article.html", policy)
    assert time.monotonic() - started < 2.0


def test_credentials_in_urls_never_reach_errors_logs_or_sources(
    page_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    page_server.redirects["/to-creds"] = f"http://user:s3cret@127.0.0.1:{page_server.port}/missing"
    with pytest.raises(FetchError) as raised:
        fetch(page_server.url("/to-creds"), LOCAL)
    assert "HTTP 404" in raised.value.message and "s3cret" not in raised.value.message
    with_creds = f"http://user:s3cret@127.0.0.1:{page_server.port}/article.html"
    document = load_document(with_creds, LOCAL)
    assert document.title == "Harbour bridge reopens after repairs"
    assert "s3cret" not in document.source and "user" not in document.source
    assert "s3cret" not in caplog.text
    asked = [headers for path, headers in page_server.requests if path == "/article.html"]
    assert "Authorization" not in asked[-1]  # never sent to whatever the URL points at


@pytest.mark.parametrize(
    "url", ["http://[zz/", "http://[::1/", "http://example.com:99999/", "http://exa mple.com/"]
)
def test_malformed_urls_are_one_line_errors(url: str) -> None:
    with pytest.raises(FetchError, match="not a valid URL"):
        fetch(url, LOCAL)


def test_a_redirect_to_a_malformed_url_is_a_one_line_error(page_server: Any) -> None:
    page_server.redirects["/to-bad"] = "http://[zz/"
    with pytest.raises(FetchError, match="not a valid URL"):
        fetch(page_server.url("/to-bad"), LOCAL)
