"""Logging that never prints a secret.

httpx logs every request URL at INFO, and python-telegram-bot logs its base URL at DEBUG; both
carry the bot token. Quieting the first is not enough, so secrets are also scrubbed from every
log record as it is made, tracebacks included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

REDACTED = "<token>"
_SECRETS: set[str] = set()
# scheme://user:password@host: everything between the scheme and the host's last @
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")
SHOWN_URL_CHARS = 300


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def url_without_credentials(url: str) -> str:
    """A URL fit to keep as a document's source: any user name and password dropped, and
    control characters percent-encoded, so they never reach a terminal."""
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", _USERINFO.sub(r"\1", url))


def redact_url(url: str) -> str:
    """A URL fit to show or log in one line: as above, and cut to a readable length."""
    shown = url_without_credentials(url)
    return shown if len(shown) <= SHOWN_URL_CHARS else shown[: SHOWN_URL_CHARS - 1] + "…"


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and the URL carries the token."""
    for name in ("httpx", "httpcore", "faiss.loader"):
        logging.getLogger(name).setLevel(logging.WARNING)


def redact_in_logs(secret: str) -> None:
    """Scrub a secret from every log record made from now on, in this process."""
    if not _SECRETS:
        logging.setLogRecordFactory(_redacting(logging.getLogRecordFactory()))
    _SECRETS.add(secret)


def _redacting(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        message = record.getMessage()
        exc_text = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        for secret in _SECRETS:
            if secret in message:
                record.msg, record.args, message = (
                    message.replace(secret, REDACTED),
                    (),
                    message.replace(secret, REDACTED),
                )
            if secret in exc_text:
                exc_text = exc_text.replace(secret, REDACTED)
                record.exc_text = exc_text
        return record

    return make
