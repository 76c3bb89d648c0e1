"""The progress bar: drawn on a terminal, silent otherwise."""

from __future__ import annotations

import io

from bot.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_bar_to_the_end() -> None:
    stream = Terminal()
    progress = Progress("Embedding", 4, stream)
    for _ in range(4):
        progress.advance()
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\rEmbedding [") and text.endswith("\n")
    assert "4/4 100%" in text and text.count("\n") == 1


def test_a_pipe_or_a_log_gets_nothing() -> None:
    stream = io.StringIO()
    progress = Progress("Embedding", 4, stream)
    progress.advance(4)
    progress.close()
    assert stream.getvalue() == ""


def test_the_line_says_how_far_and_how_long_is_left() -> None:
    progress = Progress("Embedding", 10, Terminal())
    progress.advance(5)
    assert progress.line(30.0).endswith("5/10  50% 0:30 elapsed, 0:30 left")
    progress.advance(50)  # never past the total
    assert progress.done == 10
