from ipaddress import ip_network
from typing import Any

import pytest

from bot.errors import FetchError
from bot.fetch import FetchPolicy, check_address, fetch
from bot.readers import document_from

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
        ("/big", "larger than 0 MB"),
        ("/missing", "HTTP 404"),
        ("/slow", "did not answer within 1 s"),
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
