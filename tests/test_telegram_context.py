"""The "More context" button: what its callback data holds, and the paragraph it shows
(tapping it end to end is in tests/test_telegram_reading.py)."""

from __future__ import annotations

from bot.telegram_context import CALLBACK_LIMIT, MORE, context_keyboard, paragraph_messages
from bot.types import Answer, Citation, Document


def cited(n: int, sentence_id: str, paragraph: int = 2) -> Citation:
    return Citation(n, "a.txt", paragraph, 1, "It rained & snowed.", 0.9, sentence_id, "Weather")


def test_one_button_per_cited_sentence_and_none_for_a_refusal() -> None:
    one = context_keyboard(Answer("q", "It rained.", True, (cited(1, "ab12:p2s1"),)))
    assert one is not None
    ((button,),) = one.inline_keyboard
    assert button.text == MORE and button.callback_data == "more:ab12:p2s1"
    two = context_keyboard(
        Answer("q", "a", True, (cited(1, "ab:p2s1"), cited(2, "ab:p5s1", 5), cited(3, "ab:p2s1")))
    )
    assert two is not None
    labels = [row[0].text for row in two.inline_keyboard]
    assert labels == [f"{MORE} (paragraph 2)", f"{MORE} (paragraph 5)"]  # one per sentence
    refusal = Answer("q", "The article doesn't say.", False, (), closest=(cited(1, "ab:p2s1"),))
    assert context_keyboard(refusal) is None


def test_a_sentence_without_an_id_or_too_long_for_telegram_gets_no_button() -> None:
    long_id = "f" * CALLBACK_LIMIT + ":p1s1"
    answer = Answer("q", "a", True, (cited(1, ""), cited(2, long_id)))
    assert context_keyboard(answer) is None


def test_the_paragraph_is_shown_whole_under_its_place_and_escaped() -> None:
    from bot.readers import document_from, raw_from_bytes

    text = b"Weather\n\nIt rained & snowed. Then <b>it</b> cleared."
    document: Document = document_from(raw_from_bytes(text, "a.txt"))
    paragraph = document.paragraphs[1]
    (named,) = paragraph_messages(document, paragraph, name_document=True)
    assert named.startswith(f"<i>Weather, paragraph {paragraph.number}, in full</i>")
    assert (
        "<blockquote>It rained &amp; snowed. Then &lt;b&gt;it&lt;/b&gt; cleared.</blockquote>"
        in named
    )
    (bare,) = paragraph_messages(document, paragraph, name_document=False)
    assert bare.startswith(f"<i>Paragraph {paragraph.number}, in full</i>")
