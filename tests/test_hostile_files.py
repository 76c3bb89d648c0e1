"""Hostile and careless inputs to the readers: control characters, devices and pipes,
odd gzip files and charsets, pages that an extractor could misquote, and lines that take
quadratic time to match."""

from __future__ import annotations

import gzip
import os
import re
import resource
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from bot.errors import ArticleError
from bot.readers import document_from, load_document, markdown_to_text
from bot.settings import PROJECT_ROOT
from bot.types import Raw
from tests.hostile import hostile_pages, shown_text


def no_controls(text: str) -> bool:
    return all(ch in "\t\n" or unicodedata.category(ch) != "Cc" for ch in text)


def test_control_characters_never_reach_a_document(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    body = (
        "Terminal tricks\n\nThe \x1b]0;PWNED\x07title was set. The text \x1b[8mwas hidden\x1b[0m "
        "here.\r\nA C1 \x9b31m escape and a bell\x07 too.\n"
    )
    later = b"Later on, the story went on with many more words.\x1b[2J "
    article.write_bytes(body.encode("utf-8") + b"\n\n" + later * 20_000)
    document = load_document(str(article))
    assert no_controls(document.text) and no_controls(document.title)
    assert all(no_controls(s.text) for s in document.sentences)
    assert "was hidden" in document.text  # the words stay, only the controls go


@pytest.mark.parametrize("kind", ["text", "markdown", "html"])
def test_control_characters_are_removed_from_every_kind(kind: str) -> None:
    page = "<html><body><article><p>Bold \x1b[1mclaim\x1b[0m made\x9b here today.</p>"
    page += "<p>A second paragraph says something else entirely.</p></article></body></html>"
    text = b"Title\n\nA bold \x1b[1mclaim\x1b[0m was made in this paragraph by somebody.\n"
    data = page.encode() if kind == "html" else text
    document = document_from(Raw("x", data, kind))
    assert no_controls(document.text)


@pytest.mark.parametrize("kind", ["text", "markdown", "html"])
def test_bidirectional_overrides_are_removed_but_the_letters_stay(kind: str) -> None:
    sentence = "The payment of \u202e0001\u202c dollars was approved by the \u2067board\u2069."
    page = f"<html><body><article><p>{sentence}</p><p>Another paragraph here.</p></article>"
    data = (page if kind == "html" else f"Title\n\n{sentence}\n").encode()
    document = document_from(Raw("x", data, kind))
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", document.text)
    assert "The payment of 0001 dollars was approved by the board." in document.text


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            load_document(str(fifo))
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader, then fail
        os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        pytest.fail("reading a FIFO hung")
    assert isinstance(outcome[0], ArticleError) and "not a regular file" in str(outcome[0])


def test_a_device_is_refused_before_memory_runs_out() -> None:
    """In a child with 1 GB of address space, so that reading /dev/zero without a cap fails
    there rather than here."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    code = "from bot.readers import load_document; load_document('/dev/zero')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        preexec_fn=limit,
        timeout=120,
    )
    assert "ArticleError" in done.stderr and "not a regular file" in done.stderr
    assert "MemoryError" not in done.stderr


def test_every_member_of_a_gzip_file_is_read_and_a_cut_one_refused(tmp_path: Path) -> None:
    two = tmp_path / "two.txt.gz"
    two.write_bytes(
        gzip.compress(b"Title\n\nThe first member.\n\n") + gzip.compress(b"The second.")
    )
    assert [s.text for s in load_document(str(two)).sentences][-1] == "The second."
    cut = tmp_path / "cut.txt.gz"
    whole = gzip.compress(b"Title\n\n" + b"A sentence that goes on. " * 2000)
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArticleError, match="cut short"):
        load_document(str(cut))


@pytest.mark.parametrize("charset", ["punycode", "idna", "unicode_escape", "utf-7", "rot13"])
def test_a_charset_that_is_no_charset_is_one_line(tmp_path: Path, charset: str) -> None:
    page = tmp_path / "p.html"
    head = f'<html><head><meta charset="{charset}"></head>'
    page.write_bytes(f"{head}<body><p>{'x' * 80}</p></body></html>".encode())
    with pytest.raises(ArticleError, match="charset"):
        load_document(str(page))


HOSTILE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Memo row</title></head>
<body><article><h1>Memo row</h1>
<p>The memo [sic] said the rating was 4* and the login was user_name, as everyone knew.</p>
<p>He shipped it &lt;fast&gt;, his boss said, and the build broke twice last week.</p>
<p>A **starred** claim, a `ticked` word, a back\\slash and a #hash all stood there.</p>
<ul><li>Item &amp; one [1] is here.</li><li>Item_two &lt;b&gt;is&lt;/b&gt; there.</li></ul>
</article></body></html>"""


def test_html_citations_are_verbatim() -> None:
    document = document_from(Raw("memo.html", HOSTILE_PAGE.encode(), "html"))
    shown = shown_text(HOSTILE_PAGE)
    texts = [s.text for s in document.sentences]
    for text in texts:
        assert " ".join(text.split()) in shown, text
    joined = " ".join(texts)
    for phrase in ("[sic]", "4*", "user_name", "shipped it <fast>, his boss said", "**starred**"):
        assert phrase in joined, phrase
    assert "\\" not in joined.replace("back\\slash", "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_pages())
def test_every_sentence_of_a_hostile_page_is_on_the_page(page: str) -> None:
    """The property, over pages full of text that looks like markup; the page's text is
    read by the standard library's parser, not by the code under test."""
    try:
        document = document_from(Raw("hostile.html", page.encode(), "html"))
    except ArticleError:
        return
    shown = shown_text(page)
    for sentence in document.sentences:
        assert " ".join(sentence.text.split()) in shown, (sentence.text, shown)


def test_a_byline_only_in_metadata_is_not_cited() -> None:
    page = HOSTILE_PAGE.replace("<title>", '<meta name="author" content="Ann Other"><title>')
    document = document_from(Raw("memo.html", page.encode(), "html"))
    assert document.title == "Memo row"
    assert not any("Ann Other" in s.text for s in document.sentences)


def test_a_title_of_any_length_is_capped() -> None:
    headline = " ".join(["Supercalifragilistic" * 5] * 30)  # 30 words: still a title line
    text = f"{headline}\n\nThe story itself is short.\n".encode()
    document = document_from(Raw("story.txt", text, "text"))
    assert document.paragraphs[0].role == "title" and len(document.paragraphs[0].text) > 3000
    assert len(document.title) <= 200 and document.title.endswith("…")


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


LINEAR_CASES = {
    "table rule": lambda n: "|" * n + "x",
    "bold": lambda n: "**x " * (n // 4),
    "underscores": lambda n: "_x " * (n // 3),
    "links": lambda n: "[" * n,
    "images": lambda n: "![" * (n // 2),
    "tags": lambda n: "<a" * (n // 2),
    "autolinks": lambda n: "<http://" * (n // 8),
    "heading": lambda n: "# x" + " " * n + "y",
}


@pytest.mark.parametrize("case", list(LINEAR_CASES))
def test_markdown_takes_linear_time(case: str) -> None:
    """At 80,000 characters quadratic code takes seconds; linear code takes milliseconds.
    Four times the input may take up to eight times as long (quadratic: sixteen), or half a
    second in all: generous for a busy machine and still far below quadratic."""
    make = LINEAR_CASES[case]
    small = seconds(lambda: markdown_to_text(make(20_000)))
    large = seconds(lambda: markdown_to_text(make(80_000)))
    assert large < 0.5 or large < 8 * small, (small, large)


def test_an_html_page_of_open_brackets_takes_linear_time() -> None:
    def read(n: int) -> None:
        page = (
            "<html><body><article><p>The council met on Monday and agreed the budget.</p>"
            "<p>It said more.</p></article></body></html>" + "<" * n  # no > after them
        )
        assert document_from(Raw("brackets.html", page.encode(), "html")).sentences

    read(100)  # trafilatura's first call pays for its imports
    small, large = seconds(lambda: read(20_000)), seconds(lambda: read(80_000))
    assert large < 1.0 or large < 8 * small, (small, large)
