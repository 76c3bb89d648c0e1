"""The HTTPS path of the pinned connection, against a TLS page server on 127.0.0.1 with a
throwaway certificate: the connection goes to the checked address, while the TLS name (SNI),
the certificate check and the Host header stay the URL's."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest

from bot.errors import FetchError
from bot.fetch import FetchPolicy, fetch
from tests.page_server import PageServer

NAME = "articlebot.test"


def make_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (and its key), valid for a day."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    key_type = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subject = ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", *key_type, "-days", "1", *subject, *files],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"), NAME)


@pytest.fixture()
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[PageServer, list[str]]]:
    """A page server speaking TLS as articlebot.test; the list collects each SNI name."""
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    context.sni_callback = lambda _socket, name, _context: names.append(name or "")  # type: ignore[assignment, misc, func-returns-value]
    server = PageServer(tls=context, host=NAME)
    yield server, names
    server.close()


def trusting(certificate: tuple[Path, Path], **names: str) -> FetchPolicy:
    """A policy that trusts the throwaway certificate and resolves `names` to 127.0.0.1."""
    context = ssl.create_default_context(cafile=str(certificate[0]))
    known = {NAME: "127.0.0.1", "127.0.0.1": "127.0.0.1", **names}

    def resolve(host: str, port: int) -> list[str]:
        if host not in known:
            raise OSError(f"unknown test host {host}")
        return [known[host]]

    return FetchPolicy(
        allowed_networks=(ip_network("127.0.0.1/32"),),
        timeout_seconds=5.0,
        resolver=resolve,
        ssl_context=context,
    )


def test_https_keeps_the_urls_name_for_sni_and_host(
    tls_server: tuple[PageServer, list[str]], certificate: tuple[Path, Path]
) -> None:
    server, names = tls_server
    raw = fetch(server.url("/article.html"), trusting(certificate))
    assert raw.kind == "html" and b"Port Elston" in raw.data
    assert names == [NAME]  # the TLS name is the URL's, though we connected to 127.0.0.1
    (headers,) = [h for path, h in server.requests if path == "/article.html"]
    assert headers["Host"] == f"{NAME}:{server.port}"


def test_a_certificate_for_another_name_is_refused(
    tls_server: tuple[PageServer, list[str]], certificate: tuple[Path, Path]
) -> None:
    server, _ = tls_server
    policy = trusting(certificate, **{"other.test": "127.0.0.1"})
    for url in (
        f"https://other.test:{server.port}/article.html",  # resolves here, but is not its name
        f"https://127.0.0.1:{server.port}/article.html",  # the address itself is no name
    ):
        with pytest.raises(FetchError, match=r"(?i)certificate") as raised:
            fetch(url, policy)
        assert "\n" not in raised.value.message
    assert not [path for path, _ in server.requests]  # no request was sent to either


def test_a_certificate_nobody_vouches_for_is_refused(
    tls_server: tuple[PageServer, list[str]], certificate: tuple[Path, Path]
) -> None:
    server, _ = tls_server
    trusting_nobody = FetchPolicy(
        allowed_networks=(ip_network("127.0.0.1/32"),),
        timeout_seconds=5.0,
        resolver=lambda host, port: ["127.0.0.1"],
    )
    with pytest.raises(FetchError, match=r"(?i)certificate"):
        fetch(server.url("/article.html"), trusting_nobody)
