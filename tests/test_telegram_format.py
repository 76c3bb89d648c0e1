import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram_format import Block, format_answer, render_messages, utf16_length
from bot.types import Answer, Citation

TAG = re.compile(r"</?(?:b|i|blockquote)>")


def cited(*texts: str) -> Answer:
    citations = tuple(Citation(i + 1, "a.txt", i + 3, 1, t, 0.5) for i, t in enumerate(texts))
    body = " ".join(f"{t} [{i + 1}]" for i, t in enumerate(texts))
    return Answer("q", body, True, citations)


def balanced(message: str) -> bool:
    depth = 0
    for tag in TAG.findall(message):
        depth += -1 if tag.startswith("</") else 1
        if depth < 0:
            return False
    return depth == 0


def test_an_extractive_answer_is_its_quote_once_with_the_phrase_in_bold() -> None:
    citation = Citation(1, "a.txt", 3, 1, "Kerry spoke in Paris.", 0.5, answer_span=(15, 20))
    (message,) = format_answer(Answer("q", "Kerry spoke in Paris. [1]", True, (citation,)))
    assert message == "<i>Paragraph 3</i>\n<blockquote>Kerry spoke in <b>Paris</b>.</blockquote>"


def test_a_generated_answer_keeps_its_text_above_its_sources() -> None:
    citation = Citation(1, "a.txt", 3, 1, "Kerry spoke.", 0.5)
    answer = Answer("q", "Kerry gave a speech [1].", True, (citation,), generator="llm")
    (message,) = format_answer(answer)
    assert message.startswith("Kerry gave a speech [1].\n<b>Sources</b>")
    assert "<i>[1] paragraph 3</i>\n<blockquote>Kerry spoke.</blockquote>" in message
    assert message.count("Kerry spoke.") == 1 and "<b>Kerry" not in message


def test_a_web_pages_sentence_links_to_itself() -> None:
    url = "https://example.com/story.html#top"
    citation = Citation(1, url, 2, 1, "Cables & bolts - 240 of them.", 0.5, document="Story")
    (message,) = format_answer(Answer("q", "x", True, (citation,)), name_documents=True)
    link = "https://example.com/story.html#:~:text=Cables%20%26%20bolts%20%2D%20240%20of%20them."
    assert "<i>Story, paragraph 2</i>" in message
    assert f'<a href="{link}">' in message


def test_refusal_says_so_and_labels_closest_passages() -> None:
    closest = (Citation(1, "a", 7, 1, "Near miss.", 0.3),)
    (message,) = format_answer(Answer("q", "The article doesn't say.", False, (), "q", closest))
    assert "The article doesn't say." in message
    assert (
        "Closest passages (not an answer):" in message
        and "<blockquote>Near miss.</blockquote>" in message
    )
    assert "[1]" not in message


def test_everything_from_users_or_articles_is_escaped() -> None:
    (message,) = format_answer(cited("a < b && c > d <b>x</b>"))
    assert "a &lt; b &amp;&amp; c &gt; d &lt;b&gt;x&lt;/b&gt;" in message
    assert balanced(message)


def test_a_long_answer_is_split_at_sentence_boundaries() -> None:
    sentence = "Word " * 150 + "end."
    messages = format_answer(cited(*[sentence] * 8))
    assert len(messages) > 1
    for message in messages:
        assert utf16_length(message) <= 4096 and balanced(message)
    assert sum(m.count("end.") for m in messages) == 8  # each quoted once


def test_a_single_huge_sentence_is_cut_between_words_inside_its_tag() -> None:
    messages = render_messages([Block("&" * 5000 + " tail", "blockquote")], limit=1000)
    assert all(m.startswith("<blockquote>") and m.endswith("</blockquote>") for m in messages)
    assert all(utf16_length(m) <= 1000 for m in messages)
    assert (
        "".join(html.unescape(TAG.sub("", m)) for m in messages).replace(" ", "")
        == "&" * 5000 + "tail"
    )


def test_the_answering_phrase_stays_bold_when_its_sentence_is_split() -> None:
    text = "word " * 300 + "on 5 May 2015 " + "word " * 300 + "end."
    start = text.index("5 May 2015")
    block = Block(text, "blockquote", (start, start + len("5 May 2015")))
    messages = render_messages([block], limit=1000)
    assert len(messages) > 2
    assert sum(m.count("<b>5 May 2015</b>") for m in messages) == 1
    assert all(utf16_length(m) <= 1000 and balanced(m) for m in messages)


def test_a_bold_phrase_cut_by_a_split_is_bold_on_both_sides() -> None:
    text = "x" * 50 + " " + "y" * 2000
    block = Block(text, "blockquote", (45, 1500))
    messages = render_messages([block], limit=1000)
    assert all(utf16_length(m) <= 1000 and balanced(m) for m in messages)
    bold = "".join(re.findall(r"<b>([^<]*)</b>", "".join(messages)))
    assert bold.replace(" ", "") == text[45:1500].replace(" ", "")


def test_length_counts_utf16_units() -> None:
    assert utf16_length("😀") == 2 and utf16_length("é") == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=700), min_size=1, max_size=6), st.integers(200, 1500))
def test_any_text_splits_into_valid_messages_and_loses_nothing(
    texts: list[str], limit: int
) -> None:
    blocks = [
        Block(t, tag)
        for t, tag in zip(texts, ["", "blockquote", "i", "b", "", "blockquote"], strict=False)
    ]
    messages = render_messages(blocks, limit)
    for message in messages:
        assert utf16_length(message) <= limit and balanced(message)
    rebuilt = html.unescape(TAG.sub("", "\n".join(messages)))
    for text in texts:
        assert "".join(text.split()) in "".join(rebuilt.split())


@pytest.mark.parametrize("entity", ["&amp;", "&lt;", "&gt;"])
def test_no_message_ends_inside_an_entity(entity: str) -> None:
    raw = html.unescape(entity) * 3000
    for message in render_messages([Block(raw)], limit=500):
        assert not re.search(r"&[a-z]*$", message)
