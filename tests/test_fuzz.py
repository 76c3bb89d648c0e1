"""Fuzzing where hostile input meets the code: the readers, the fetcher's handling of a
response, and the question path. The properties: no exception escapes the error tree of
bot/errors.py; every citation is verbatim; time grows linearly with the input.

`make test` runs a few examples of each, the same ones every time. `make fuzz`
(ARTICLEBOT_FUZZ=1) runs many more, new ones each time, and the timing properties, which
only mean something on a quiet machine.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import time
import unicodedata
import zlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.article import fold_lines
from bot.core import Answerer
from bot.decoding import decode_article
from bot.errors import ArticlebotError
from bot.fetch import KINDS, FetchPolicy, parse_url, read_response
from bot.readers import document_from, markdown_to_text
from bot.types import Raw
from bot.webpage import html_to_text
from tests.hostile import TRICKY, hostile_pages, shown_text

FUZZING = os.environ.get("ARTICLEBOT_FUZZ") == "1"
EXAMPLES = int(os.environ.get("ARTICLEBOT_FUZZ_EXAMPLES", "300")) if FUZZING else 12
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not FUZZING,
    suppress_health_check=list(HealthCheck),
)
timing = pytest.mark.skipif(not FUZZING, reason="timing needs a quiet machine: make fuzz")

MARKUP = "<>[]()*_`#|-=!&;:/\\.,?\"' \n\t\r\x1b\x00\x9babcXYZ019é€😀"
MARKUP_TEXT = st.text(alphabet=MARKUP, max_size=3000)
BYTES = st.one_of(
    st.binary(max_size=3000),
    MARKUP_TEXT.map(lambda t: t.encode("utf-8")),
    hostile_pages().map(lambda p: p.encode("utf-8")),
    st.lists(TRICKY, max_size=60).map(lambda w: " ".join(w).encode("utf-8")),
)


def no_controls(text: str) -> bool:
    return all(ch in "\t\n" or unicodedata.category(ch) != "Cc" for ch in text)


@FUZZ
@given(BYTES, st.sampled_from(["text", "markdown", "html"]), st.sampled_from(["", "latin-1"]))
def test_a_reader_raises_only_our_errors_and_cites_its_own_text(
    data: bytes, kind: str, charset: str
) -> None:
    try:
        document = document_from(Raw("fuzz", data, kind, charset))
    except ArticlebotError:
        return
    assert no_controls(document.text) and len(document.title) <= 200
    for sentence in document.sentences:
        assert sentence.text.strip()
        assert fold_lines(document.text[sentence.start : sentence.end]) == sentence.text


@FUZZ
@given(hostile_pages())
def test_every_sentence_of_a_page_is_on_the_page(page: str) -> None:
    try:
        document = document_from(Raw("page.html", page.encode(), "html"))
    except ArticlebotError:
        return
    shown = shown_text(page)
    for sentence in document.sentences:
        assert " ".join(sentence.text.split()) in shown, sentence.text


ENCODINGS = st.lists(
    st.sampled_from(["gzip", "deflate", "identity", "x-gzip", "br", "zstd", "gzip;q=1", ""]),
    max_size=3,
)


@st.composite
def responses(draw: st.DrawFn) -> tuple[int, dict[str, str], list[bytes]]:
    """A response as a server might send it, honest or not: status, headers, body chunks."""
    status = draw(st.sampled_from([200, 200, 200, 204, 404, 500]) | st.integers(100, 599))
    media = draw(st.sampled_from([*KINDS, "image/png", "", "text/html; charset=punycode"]))
    charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=x"]))
    encodings = draw(ENCODINGS)
    body = draw(BYTES)
    for encoding in reversed(encodings):  # as the server claims, or garbage if it lies
        if draw(st.booleans()):
            body = gzip.compress(body) if "gzip" in encoding else zlib.compress(body)
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]  # cut short
    headers = {"content-type": media + charset, "content-encoding": ", ".join(encodings)}
    if draw(st.booleans()):
        headers["content-length"] = draw(st.sampled_from([str(len(body)), "99999999", "-1", "x"]))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=5)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return status, headers, chunks


@FUZZ
@given(responses())
def test_a_response_raises_only_fetch_errors_and_stays_under_the_cap(
    response: tuple[int, dict[str, str], list[bytes]],
) -> None:
    status, headers, chunks = response
    policy = FetchPolicy(max_bytes=20_000)
    try:
        raw = read_response(status, headers, chunks, "http://x.test/", "http://x.test/", policy)
    except ArticlebotError:
        return
    assert status == 200 and len(raw.data) <= policy.max_bytes and raw.kind in KINDS.values()
    with contextlib.suppress(ArticlebotError):
        document_from(raw)


@FUZZ
@given(st.one_of(st.text(max_size=300), st.text(max_size=300).map(lambda t: f"http://{t}")))
def test_any_url_is_parsed_or_refused_in_one_line(url: str) -> None:
    try:
        target = parse_url(url)
    except ArticlebotError as error:
        assert "\n" not in error.message
        return
    assert target.scheme in ("http", "https") and target.path.isascii()
    assert target.host_header.isascii() and no_controls(target.shown)


QUESTIONS = st.one_of(
    st.text(max_size=1200),
    st.lists(TRICKY | st.sampled_from(["Who", "Carter", "Russia", "ISIS", "how many"])).map(
        " ".join
    ),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
)


@FUZZ
@given(QUESTIONS, st.none() | st.text(max_size=40))
def test_a_question_is_answered_verbatim_or_refused_in_one_line(
    answerer: Answerer, question: str, source: str | None
) -> None:
    try:
        answer = answerer.answer(question, source=source)
    except ArticlebotError as error:
        assert "\n" not in error.message
        return
    documents = {d.title: d for d in answerer.index.documents}
    for citation in (*answer.citations, *answer.closest):
        sentence = (
            documents[citation.document]
            .paragraphs[citation.paragraph - 1]
            .sentences[citation.sentence - 1]
        )
        assert sentence.text == citation.text  # the very sentence, word for word


def seconds(work: Callable[[], object]) -> float:
    """The quicker of two runs: a busy machine only ever makes a run slower."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def grows_linearly(read: Callable[[str], object], unit: str, size: int = 20_000) -> None:
    """Four times the input may take up to eight times as long, plus a little (quadratic
    code takes sixteen)."""
    small, large = unit * (size // len(unit)), unit * (4 * size // len(unit))
    quick, slow = seconds(lambda: read(small)), seconds(lambda: read(large))
    assert slow <= 8 * quick + 0.05, (repr(unit), quick, slow)


def quietly(read: Callable[[str], object]) -> Callable[[str], object]:
    def run(text: str) -> object:
        try:
            return read(text)
        except ArticlebotError:
            return None

    return run


UNITS = st.text(alphabet=MARKUP, min_size=1, max_size=12)


@timing
@FUZZ
@given(UNITS, st.sampled_from(["decode", "markdown", "html"]))
def test_reading_takes_linear_time(unit: str, stage: str) -> None:
    def decode(text: str) -> str:
        return decode_article(text.encode("utf-8"), name="fuzz")

    read = {
        "decode": decode,
        "markdown": lambda text: markdown_to_text(decode(text)),
        "html": lambda text: html_to_text(decode(text)),
    }[stage]
    grows_linearly(quietly(read), unit)


@timing
@settings(FUZZ, max_examples=min(EXAMPLES, 40), phases=[Phase.generate])  # shrinking it is slow
@given(UNITS, st.sampled_from(["text", "markdown", "html"]))
def test_a_whole_document_takes_linear_time(unit: str, kind: str) -> None:
    grows_linearly(quietly(lambda text: document_from(Raw("f", text.encode(), kind))), unit)
