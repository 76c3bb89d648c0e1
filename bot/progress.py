"""A progress bar on stderr for long builds, drawn only when stderr is a terminal.

A build of an archive embeds for many minutes; a bar says how far it is and how long is
left. Piped or logged, stderr gets nothing (a bar is noise in a log file).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
MIN_SECONDS = 0.25  # between redraws: a terminal need not be written to on every batch


class Progress:
    """`advance(n)` after each n units done, `close()` at the end."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, max(total, 0), 0
        self.stream = stream if stream is not None else sys.stderr
        self.shown = _is_terminal(self.stream) and self.total > 0
        self.started = self.drawn = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        now = time.monotonic()
        if self.shown and (now - self.drawn >= MIN_SECONDS or self.done == self.total):
            self.drawn = now
            self.stream.write("\r" + self.line(now - self.started))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * share)
        left = elapsed * (self.total - self.done) / self.done if self.done else 0.0
        return (
            f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] "
            f"{self.done}/{self.total} {share:4.0%} {_clock(elapsed)} elapsed, "
            f"{_clock(left)} left"
        )

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
