"""The quote-once layout, as the terminal shows it (bot.textfragment's links are tested in
tests/test_textfragment.py)."""

from __future__ import annotations

from bot.layout import layout, text_answer
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
