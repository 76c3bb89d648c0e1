"""Links that open a web page at a cited sentence: text fragments built to match the page."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from bot.textfragment import MAX_LINK, encode_text, sentence_link, text_directive

SENTENCE = "Engineers replaced 240 steel cables, the city council said in a statement."


def test_a_text_fragment_escapes_its_own_syntax_and_encodes_utf8() -> None:
    assert encode_text("a-b, c & d") == "a%2Db%2C%20c%20%26%20d"
    assert encode_text("Zürich  “quoted”") == "Z%C3%BCrich%20%E2%80%9Cquoted%E2%80%9D"
    assert unquote(encode_text("x-y,z&w #%")) == "x-y,z&w #%"
    assert not re.search(r"[-,&# ]", encode_text("x-y,z&w #% q"))


def test_a_short_sentence_is_named_whole_and_a_long_one_by_its_ends() -> None:
    assert text_directive("The bridge reopened.") == "The%20bridge%20reopened."
    long = (
        "Mayor Ana Ruiz said on Tuesday that the repair work cost 18 million euros, two "
        "million less than the city had planned for it."
    )
    start, end = text_directive(long).split(",")
    assert unquote(start) == "Mayor Ana Ruiz said on"
    assert unquote(end) == "city had planned for it."


def test_a_link_is_only_for_web_pages_and_replaces_the_pages_fragment() -> None:
    assert sentence_link("data/article.txt", SENTENCE) is None
    assert sentence_link("https://x.example/a", "   ") is None
    link = sentence_link("https://x.example/a?p=1#comments", "It rained.")
    assert link == "https://x.example/a?p=1#:~:text=It%20rained."
    assert sentence_link("https://x.example/" + "a" * MAX_LINK, "It rained.") is None


PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Market day</title></head>
<body><article><h1>Market day</h1>
<p>Stalls sold fish &amp; chips, a 2-for-1 offer, and Z\xc3\xbcrich-style   rolls
at <b>4 euros</b>.</p>
<p>The mayor, who opened the market on Saturday morning with a short speech about the town's
long history of trade, said that about 3,000 people came, more than in any year before.</p>
</article></body></html>"""


def visible(page: bytes) -> str:
    """The page's text as a browser shows it, whitespace collapsed (enough for this page)."""
    text = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", page.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_every_sentence_of_a_page_gets_a_fragment_that_matches_the_page() -> None:
    from bot.readers import document_from, raw_from_bytes

    document = document_from(raw_from_bytes(PAGE, "market.html"))
    shown = visible(PAGE).replace(" .", ".")  # the <b> above adds no space in a browser
    sentences = [document.text[s.start : s.end] for p in document.paragraphs for s in p.sentences]
    assert len(sentences) >= 3
    for sentence in sentences:
        link = sentence_link("https://news.example/market.html", sentence)
        assert link is not None
        parts = [unquote(part) for part in link.split("#:~:text=")[1].split(",")]
        assert 1 <= len(parts) <= 2
        start = shown.find(parts[0])
        assert start >= 0, (parts, shown)
        assert len(parts) == 1 or shown.find(parts[1], start) > start
