"""Fetching an article from a URL, carefully: one deadline, a size cap, a content-type check,
a bounded number of redirects, and no private addresses (SSRF) unless asked for.

Every hop of a redirect is checked again, since a public page may redirect to 127.0.0.1, and
the connection goes to the very address that was checked (the Host header and TLS name stay
the URL's), so a DNS answer that changes between check and connect cannot slip past.

One deadline covers the whole fetch, name resolution and every redirect included: each
socket operation may wait only for what is left of it, so a server that drips a byte a
second cannot hold a fetch open. We ask for the body uncompressed, and unpack what a server
compresses anyway ourselves, under the same cap, so a small gzip bomb cannot fill memory.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpcore

from bot.addresses import Network, check_public, system_resolver
from bot.deadline import Deadline, DeadlineBackend
from bot.decoding import MAX_ARTICLE_BYTES
from bot.errors import FetchError
from bot.inflate import Decoder, size_text
from bot.logsafety import quiet_http_logs, redact_in_logs, redact_url, url_without_credentials
from bot.types import Raw

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 15.0  # for the whole fetch
USER_AGENT = "articlebot/0.1 (+https://github.com/articlebot)"
KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
_REDIRECTS = {301, 302, 303, 307, 308}
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
# what may stay as it is in a request target; anything else is percent-encoded
_SAFE_IN_TARGET = "/%:@!$&'()*+,;=-._~?"


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    # private networks allowed even so, e.g. (ip_network("127.0.0.1/32"),) for a local test
    allowed_networks: tuple[Network, ...] = ()
    max_bytes: int = MAX_ARTICLE_BYTES
    timeout_seconds: float = TIMEOUT_SECONDS
    max_redirects: int = MAX_REDIRECTS
    # host, port -> addresses; a test may resolve its own names to 127.0.0.1
    resolver: Callable[[str, int], Sequence[str]] = field(default=system_resolver, compare=False)
    # None trusts what httpx trusts (certifi); a test may trust its own certificate
    ssl_context: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Target:
    """A URL taken apart once, checked, and ready to request; `shown` is safe to print."""

    url: str
    shown: str
    scheme: str
    host: str  # as resolved and as TLS checks it: lower case, IDNA-encoded
    port: int
    host_header: str
    path: str  # the request target: path and query, percent-encoded


def fetch(url: str, policy: FetchPolicy = FetchPolicy()) -> Raw:
    """The article at `url` as raw bytes, or FetchError with a one-line reason."""
    quiet_http_logs()  # httpcore's debug traces hold response headers, a Location's password too
    deadline = Deadline(policy.timeout_seconds)
    first = current = parse_url(url)
    with _pool(policy, deadline) as pool:
        for _ in range(policy.max_redirects + 1):
            outcome = _get(pool, first, current, policy, deadline)
            if isinstance(outcome, Raw):
                return outcome
            current = outcome
    raise FetchError(f"{first.shown} redirects more than {policy.max_redirects} times.")


def _get(
    pool: httpcore.ConnectionPool,
    first: Target,
    current: Target,
    policy: FetchPolicy,
    deadline: Deadline,
) -> Raw | Target:
    """One hop: the page, or where a redirect points."""
    address = checked_address(current, policy, deadline)
    with (
        _network_errors(current, deadline),
        _pinned_stream(pool, current, address, policy) as response,
    ):
        headers = _headers(response.headers)
        location = _location(response.status, headers, current)
        if location is not None:
            return location
        chunks = response.iter_stream()
        source = url_without_credentials(first.url)
        return read_response(
            response.status, headers, chunks, source, current.shown, policy, deadline
        )


def parse_url(url: str) -> Target:
    """`url` taken apart, or FetchError when it is not a valid http(s) URL."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        scheme, hostname, port = parts.scheme.lower(), parts.hostname, parts.port
        if scheme not in ("http", "https") or not hostname:
            raise FetchError(f"Only http:// and https:// URLs can be indexed, not {shown!r}.")
        host = hostname if ":" in hostname else hostname.encode("idna").decode("ascii")
        if not re.fullmatch(r"[A-Za-z0-9.\-_:%]+", host):
            raise ValueError("a host name with characters no host name has")
    except (ValueError, UnicodeError):
        raise FetchError(f"{shown!r} is not a valid URL.") from None
    if "@" in parts.netloc:  # credentials: scrubbed from every log line from now on
        redact_in_logs(parts.netloc.rsplit("@", 1)[0] + "@")
    named = f"[{host}]" if ":" in host else host
    path = quote(parts.path or "/", safe=_SAFE_IN_TARGET)
    query = f"?{quote(parts.query, safe=_SAFE_IN_TARGET)}" if parts.query else ""
    default = 443 if scheme == "https" else 80
    return Target(
        url,
        shown,
        scheme,
        host,
        port or default,
        named + (f":{port}" if port else ""),
        path + query,
    )


def check_address(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs, and hosts on non-public addresses unless `allow_private`."""
    policy = FetchPolicy(allow_private=allow_private)
    checked_address(parse_url(url), policy, Deadline(policy.timeout_seconds))


def checked_address(target: Target, policy: FetchPolicy, deadline: Deadline) -> str:
    """The address to connect to for `target`: refused when the host resolves to a private,
    loopback, link-local or otherwise non-public address (any of its addresses) that the
    policy does not allow. Resolving counts against the deadline."""
    addresses = _resolve(target, policy, deadline)
    if not addresses:
        raise FetchError(f"Cannot resolve the host {target.host}.")
    for address in addresses:
        allowed = policy.allow_private or any(address in n for n in policy.allowed_networks)
        reason = None if allowed else check_public(address)
        if reason is not None:
            raise FetchError(
                f"{target.host} is a private address ({address}{reason}); refusing to fetch "
                "it (pass --allow-private-urls to allow)."
            )
    return str(addresses[0])


def _resolve(target: Target, policy: FetchPolicy, deadline: Deadline) -> list[Any]:
    """Resolve in a thread of its own, since getaddrinfo takes no time-out; a resolver that
    hangs is left behind (a daemon thread) when the deadline passes."""
    import ipaddress

    outcome: list[Any] = []

    def work() -> None:
        try:
            found = policy.resolver(target.host, target.port)
            outcome.append([ipaddress.ip_address(a.split("%")[0]) for a in found])
        except Exception as error:  # any failure to resolve is the same one line
            outcome.append(error)

    thread = threading.Thread(target=work, name="resolve", daemon=True)
    thread.start()
    thread.join(max(deadline.left(), 0.0))
    if not outcome:
        raise _timed_out(target, deadline)
    if isinstance(outcome[0], Exception):
        raise FetchError(f"Cannot resolve the host {target.host}.")
    addresses: list[Any] = outcome[0]
    return addresses


def _timed_out(target: Target, deadline: Deadline) -> FetchError:
    return FetchError(f"{target.shown} did not finish within {deadline.seconds:g} s.")


@contextmanager
def _network_errors(target: Target, deadline: Deadline) -> Iterator[None]:
    """httpcore's and the socket's errors as one line; past the deadline, that is the reason."""
    try:
        yield
    except FetchError:
        raise
    except (httpcore.TimeoutException, TimeoutError):
        raise _timed_out(target, deadline) from None
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
        if deadline.left() <= 0:
            raise _timed_out(target, deadline) from None
        reason = " ".join(str(error).split()) or type(error).__name__
        raise FetchError(f"Cannot fetch {target.shown}: {reason}") from None


@contextmanager
def _pool(policy: FetchPolicy, deadline: Deadline) -> Iterator[httpcore.ConnectionPool]:
    import httpx

    context = policy.ssl_context or httpx.create_ssl_context()
    backend = DeadlineBackend(deadline)
    with httpcore.ConnectionPool(ssl_context=context, network_backend=backend) as pool:
        yield pool


def _pinned_stream(
    pool: httpcore.ConnectionPool, target: Target, address: str, policy: FetchPolicy
) -> Any:
    """GET `target` from `address`, keeping the URL's host for the Host header and TLS."""
    host = f"[{address}]" if ":" in address else address
    url = httpcore.URL(scheme=target.scheme, host=host, port=target.port, target=target.path)
    headers: list[tuple[bytes | str, bytes | str]] = [
        ("Host", target.host_header),
        ("User-Agent", USER_AGENT),
        ("Accept", ", ".join(KINDS)),
        ("Accept-Encoding", "identity"),  # a compressed body could hide a bomb; we unpack it
    ]
    seconds = policy.timeout_seconds
    extensions: dict[str, Any] = {
        "timeout": dict.fromkeys(("connect", "read", "write", "pool"), seconds)
    }
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host
    return pool.stream("GET", url, headers=headers, extensions=extensions)


def _headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names in lower case; a header sent several times is joined with commas."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1").strip()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _location(status: int, headers: Mapping[str, str], current: Target) -> Target | None:
    """Where a redirect points, or None when the response is not a redirect."""
    if status not in _REDIRECTS:
        return None
    location = headers.get("location", "")
    if not location:
        raise FetchError(f"{current.shown} redirects nowhere.")
    try:
        joined = urljoin(current.url, location)
    except ValueError:
        raise FetchError(f"{redact_url(location)!r} is not a valid URL.") from None
    return parse_url(joined)


def read_response(
    status: int,
    headers: Mapping[str, str],
    chunks: Iterable[bytes],
    source: str,
    final: str,
    policy: FetchPolicy,
    deadline: Deadline | None = None,
) -> Raw:
    """The body of the response to `source` (redirected to `final`) as Raw bytes, or
    FetchError: not 200, not HTML or text, over the size cap, damaged, or out of time."""
    if status != 200:
        raise FetchError(f"{final} answered HTTP {status}, not a page.")
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in KINDS:
        raise FetchError(f"{final} is {media or 'of no stated type'}, not HTML or text.")
    too_big = FetchError(f"{final} is larger than {size_text(policy.max_bytes)}.")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_big
    # the decoder holds its output to the cap; the count holds what comes over the wire
    decoder = Decoder(_encodings(headers), policy.max_bytes, final, FetchError)
    body, received = bytearray(), 0
    for chunk in chunks:
        received += len(chunk)
        if received > policy.max_bytes:
            raise too_big
        body += decoder.feed(chunk)
        if deadline is not None and deadline.left() <= 0:
            raise FetchError(f"{final} did not finish within {deadline.seconds:g} s.")
    decoder.finish()
    charset = _CHARSET.search(headers.get("content-type", ""))
    return Raw(source, bytes(body), KINDS[media], charset.group(1) if charset else "")


def _encodings(headers: Mapping[str, str]) -> list[str]:
    """Content-Encoding as a list, in the order applied; identity is no encoding."""
    named = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
    return [e for e in named if e and e != "identity"]
