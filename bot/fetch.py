"""Fetching an article from a URL, carefully: time-outs, a size cap, a content-type check,
a bounded number of redirects, and no private addresses (SSRF) unless asked for.

Every hop of a redirect is checked again, since a public page may redirect to 127.0.0.1, and
the connection goes to the very address that was checked (the Host header and TLS name stay
the URL's), so a DNS answer that changes between check and connect cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from bot.article import MAX_ARTICLE_BYTES
from bot.errors import FetchError
from bot.types import Raw

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 15.0
USER_AGENT = "articlebot/0.1 (+https://github.com/articlebot)"
KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    # private networks allowed even so, e.g. (ip_network("127.0.0.1/32"),) for a local test
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_bytes: int = MAX_ARTICLE_BYTES
    timeout_seconds: float = TIMEOUT_SECONDS
    max_redirects: int = MAX_REDIRECTS


def fetch(url: str, policy: FetchPolicy = FetchPolicy()) -> Raw:
    """The article at `url` as raw bytes, or FetchError with a one-line reason."""
    current = url
    with httpx.Client(
        timeout=policy.timeout_seconds,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ", ".join(KINDS)},
        trust_env=False,  # a proxy from the environment would hide where we really connect
    ) as client:
        for _ in range(policy.max_redirects + 1):
            address = checked_address(current, policy)
            try:
                with _pinned_stream(client, current, address) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise FetchError(f"{current} redirects nowhere.")
                        current = urljoin(current, location)
                        continue
                    return _read(response, url, current, policy)
            except httpx.TimeoutException:
                raise FetchError(
                    f"{current} did not answer within {policy.timeout_seconds:g} s."
                ) from None
            except httpx.HTTPError as error:
                reason = " ".join(str(error).split()) or type(error).__name__
                raise FetchError(f"Cannot fetch {current}: {reason}") from None
    raise FetchError(f"{url} redirects more than {policy.max_redirects} times.")


def _read(response: httpx.Response, url: str, final: str, policy: FetchPolicy) -> Raw:
    if response.status_code != 200:
        raise FetchError(f"{final} answered HTTP {response.status_code}, not a page.")
    content_type = response.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media not in KINDS:
        raise FetchError(f"{final} is {media or 'of no stated type'}, not HTML or text.")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(f"{final} is larger than {policy.max_bytes // 2**20} MB.")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > policy.max_bytes:
            raise FetchError(f"{final} is larger than {policy.max_bytes // 2**20} MB.")
    charset = response.charset_encoding or ""
    return Raw(url, bytes(body), KINDS[media], charset)


def _pinned_stream(client: httpx.Client, url: str, address: str) -> Any:
    """GET `url` from `address`, keeping the URL's host for the Host header and TLS."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    target = urlunsplit((parts.scheme, host + port, parts.path or "/", parts.query, ""))
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": parts.hostname} if parts.scheme.lower() == "https" else {}
    return client.stream("GET", target, headers=headers, extensions=extensions)


def check_address(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs, and hosts on non-public addresses unless `allow_private`."""
    checked_address(url, FetchPolicy(allow_private=allow_private))


def checked_address(url: str, policy: FetchPolicy) -> str:
    """The address to connect to for `url`: refused when it is not http(s), or when the host
    resolves to a private, loopback, link-local or otherwise non-public address (any of its
    addresses) that the policy does not allow."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Only http:// and https:// URLs can be indexed, not {url!r}.")
    default_port = 443 if parts.scheme.lower() == "https" else 80
    try:
        infos = socket.getaddrinfo(
            parts.hostname, parts.port or default_port, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError, ValueError):
        raise FetchError(f"Cannot resolve the host {parts.hostname}.") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        public = address.is_global and not address.is_multicast
        allowed = policy.allow_private or any(address in net for net in policy.allowed_networks)
        if not public and not allowed:
            raise FetchError(
                f"{parts.hostname} is a private address ({address}); refusing to fetch it "
                "(pass --allow-private-urls to allow)."
            )
    return str(addresses[0])
