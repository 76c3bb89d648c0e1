"""The quote-once layout, as the terminal shows it, and the links that open a page at a
cited sentence."""

from __future__ import annotations

import re
from urllib.parse import unquote

from bot.layout import layout, text_answer
from bot.textfragment import MAX_LINK, encode_text, sentence_link, text_directive
from bot.types import Answer, Citation

SENTENCE = "Engineers replaced 240 steel cables, the city council said in a statement."


def citation(text: str = SENTENCE, **changes: object) -> Citation:
    fields: dict[str, object] = {
        "source": "data/bridge.txt",
        "answer_span": (19, 35),
        "document": "Harbour bridge",
    }
    fields |= changes
    return Citation(  # type: ignore[arg-type]
        n=1, paragraph=3, sentence=2, text=text, score=0.8, sentence_id="ab:p3s2", **fields
    )


def test_an_extractive_answer_shows_its_sentence_once_with_the_phrase_marked() -> None:
    answer = Answer("How many cables?", f"{SENTENCE} [1]", True, (citation(),))
    shown = text_answer(answer, bold=lambda phrase: f"*{phrase}*")
    assert shown == (
        "Paragraph 3:\n"
        "> Engineers replaced *240 steel cables*, the city council said in a statement."
    )
    assert shown.count("city council") == 1


def test_several_documents_name_the_article_and_a_page_gets_its_link() -> None:
    url = "https://news.example/bridge"
    answer = Answer("q", f"{SENTENCE} [1]", True, (citation(source=url),))
    shown = text_answer(answer, name_documents=True)
    lines = shown.splitlines()
    assert lines[0] == "Harbour bridge, paragraph 3:"
    assert lines[2].strip().startswith(f"{url}#:~:text=Engineers%20replaced")
    on_file = text_answer(Answer("q", "x", True, (citation(),)), name_documents=True)
    assert on_file.startswith("Harbour bridge (data/bridge.txt), paragraph 3:")


def test_a_generated_answer_keeps_its_text_and_numbers_its_sources() -> None:
    answer = Answer("q", "They replaced 240 cables [1].", True, (citation(),), generator="llm")
    shown = text_answer(answer)
    assert shown.startswith("They replaced 240 cables [1].\n\nSources:\n[1] paragraph 3:\n> ")
    assert shown.count(SENTENCE) == 1


def test_nothing_is_bold_without_a_span_or_with_one_out_of_range() -> None:
    for span in (None, (40, 500), (5, 5)):
        shown = layout(Answer("q", "x", True, (citation(answer_span=span),)))
        (item,) = shown.quotes
        assert item.phrase == "" and item.before == SENTENCE


def test_a_refusal_marks_its_closest_passages_as_not_an_answer() -> None:
    near = citation(source="https://news.example/bridge")
    refusal = Answer("q", "The article doesn't say.", False, (), "q", (near,))
    shown = text_answer(refusal, bold=lambda phrase: f"*{phrase}*")
    assert shown.splitlines()[:3] == [
        "The article doesn't say.",
        "",
        "Closest passages (not an answer):",
    ]
    assert "*" not in shown and "#:~:text=" not in shown  # neither marked nor linked


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
