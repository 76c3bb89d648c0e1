import logging

import pytest

from bot.logsafety import REDACTED, quiet_http_logs, redact_in_logs


def test_a_secret_is_scrubbed_from_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "777:never-print-me"
    redact_in_logs(secret)
    logger = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG):
        logger.debug("calling https://api.example/bot%s/getMe", secret)
        try:
            raise RuntimeError(f"failed on /bot{secret}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
    assert secret not in caplog.text
    assert REDACTED in caplog.text and "request failed" in caplog.text


def test_http_client_loggers_are_quieted() -> None:
    quiet_http_logs()
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
