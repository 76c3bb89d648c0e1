"""An article's bytes to clean text (bot.decoding)."""

import os
from pathlib import Path

import pytest

from bot.decoding import decode_article, read_bytes, without_controls
from bot.errors import ArticleError


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01binary\x00", "looks like a binary file"),
        (b"caf\xe9 au lait", "bad byte at offset 3"),
        (b"   \n\n  ", "has no text"),
        (b"%PDF-1.4\n%%EOF\n", "is a PDF file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old word", "is a Microsoft Office file"),
    ],
)
def test_what_is_not_text_is_refused_by_name(data: bytes, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        decode_article(data, name="story")


def test_utf8_with_a_bom_decodes_and_line_ends_become_newlines() -> None:
    assert decode_article("\ufeffOne\r\nTwo\rThree".encode()) == "One\nTwo\nThree"


def test_what_a_reader_cannot_see_is_removed() -> None:
    # a terminal escape, a bidi override and a zero-width space would hide or split words
    assert without_controls("Mos\u200bcow \x1b[2Jsays \u202ehello\u202c") == "Moscow [2Jsays hello"
    # a joiner between two pictures draws one; between Latin letters it is noise
    scientist = "\U0001f469\u200d\U0001f52c"
    assert without_controls(f"{scientist} and a\u200db") == f"{scientist} and ab"


def test_a_file_is_read_within_the_limit_and_a_pipe_is_refused(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_bytes(b"x" * 10)
    assert read_bytes(story, limit=10) == b"x" * 10
    with pytest.raises(ArticleError, match="larger than"):
        read_bytes(story, limit=9)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ArticleError, match="not a regular file"):
        read_bytes(fifo)  # without waiting for a writer
