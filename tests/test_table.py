import numpy as np
import pytest

from bot.core import Answerer
from bot.table import SentenceTable
from bot.text import content_terms


def test_the_table_knows_who_is_quoted(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    assert table.is_person("Carter") and table.is_person("Khoja") and table.is_person("Lavrov")
    assert not table.is_person("Syrian National Coalition")


def test_bm25_prefers_the_sentence_with_the_rare_terms(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    terms = content_terms("How many civilians had been killed?")
    best = table.sentences[table.best_lexical(terms, None, 1)[0]]
    assert "36 civilians had been killed" in best.text


def test_token_idf_is_low_for_common_tokens_and_high_for_unseen_ones(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    the, syria = answerer.index.encoder.encode_tokens("the Syria").ids
    weights = table.token_weights(np.array([the, syria, 29999]))
    assert weights[0] < weights[1] <= weights[2]


def test_a_pronoun_sentence_leans_on_the_one_before(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    leaning = [s.text for i, s in enumerate(table.sentences) if table.leans_on_previous(i)]
    assert any(text.startswith("He described") for text in leaning)
    assert not any(text.startswith("Russia gave a warning") for text in leaning)


def test_sentences_are_made_once_and_only_a_bounded_few_are_kept(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.table.MAX_REMEMBERED_SENTENCES", 4)
    table = SentenceTable(answerer.index)
    first = table.sentences[3]
    assert table.sentences[3] is first  # made once, read by every feature of a question
    assert table.sentences[-1] == table.sentences[len(table.sentences) - 1]
    made = [table.sentences[i] for i in range(len(table.sentences))]
    assert len(table.sentences._made) <= 4
    assert made[3] == first


def test_paragraph_rows_are_those_of_each_position(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    positions = [0, 1, 5, len(table.sentences) - 1]
    assert table.paragraph_rows(positions) == {p: table.paragraph_row(p) for p in positions}


def test_titles_are_those_of_the_documents(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    titles = [table.title(i) for i in range(len(table.documents))]
    assert titles == [d.title for d in table.documents]


def test_the_table_knows_how_the_text_refers_to_a_person(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    assert table.pronoun_of("Khaled Khoja") == "he"
    assert table.pronoun_of("Nobody Atall") == ""


def test_a_person_goes_by_the_last_name_the_text_uses_more(answerer: Answerer) -> None:
    table = SentenceTable(answerer.index)
    assert table.short_name("Khaled Khoja") == "Khoja"  # "Khoja said", "Khoja, who is..."
    assert table.short_name("Ashton Carter") == "Carter"
    # the article also names "Sergey Lavrov": someone else, for all the text can tell
    assert table.short_name("Sergei Lavrov") == "Sergei Lavrov"
    assert table.short_name("Kerry") == "Kerry"
    assert table.short_name("Nobody Atall") == "Nobody Atall"
    assert table.short_name("Syrian National Coalition") == "Syrian National Coalition"
    assert table.short_name("President of Syria") == "President of Syria"  # no first name
    assert table.short_name("Syria II") == "Syria II"
