from pathlib import Path

import numpy as np
import pytest

from bot.core import Answerer
from bot.features import (
    CONFIDENCE_FEATURES,
    RANK_FEATURES,
    Question,
    candidate_positions,
    confidence_features,
    content_tokens,
    rank_features,
)
from bot.index import build_index
from bot.readers import document_from, raw_from_bytes
from bot.retrieval import make_query
from bot.settings import Settings
from bot.table import SentenceTable


@pytest.fixture(scope="module")
def table(answerer: Answerer) -> SentenceTable:
    return SentenceTable(answerer.index)


def ask(table: SentenceTable, text: str) -> Question:
    query = make_query(table, text, [])
    encoding = table.index.encoder.encode_tokens(query.resolved)
    return Question(query.resolved, query.kind, query.terms, encoding)


def position_of(table: SentenceTable, words: str) -> int:
    return next(i for i, s in enumerate(table.sentences) if words in s.text)


def test_candidates_hold_the_answer_and_leave_out_what_is_excluded(table: SentenceTable) -> None:
    question = ask(table, "How many civilians were killed?")
    answer = position_of(table, "36 civilians had been killed")
    assert answer in candidate_positions(table, question)
    assert answer not in candidate_positions(table, question, frozenset({answer}))


def test_feature_rows_are_finite_and_gaps_are_relative_to_the_best(table: SentenceTable) -> None:
    question = ask(table, "How many flights did the Russian jets conduct?")
    positions = candidate_positions(table, question)
    candidates = rank_features(table, question, positions)
    assert candidates.features.shape == (len(positions), len(RANK_FEATURES))
    assert np.isfinite(candidates.features).all()
    gap = candidates.features[:, RANK_FEATURES.index("maxsim_idf_gap")]
    assert gap.max() == 0.0 and (gap <= 0).all()
    maxsim = candidates.features[:, RANK_FEATURES.index("maxsim_idf")]
    best = positions[int(np.argmax(maxsim))]
    assert "20 flights" in table.sentences[best].text


def test_the_question_row_describes_its_best_candidate(table: SentenceTable) -> None:
    # (not "How old is Ashton Carter?": with no age of his, that has no candidate at all)
    question = ask(table, "At what age did Ashton Carter become defence secretary?")
    candidates = rank_features(table, question, candidate_positions(table, question))
    scores = candidates.features[:, RANK_FEATURES.index("maxsim_idf")]
    row = confidence_features(table, question, candidates, scores)
    assert row.shape == (len(CONFIDENCE_FEATURES),)
    assert row[CONFIDENCE_FEATURES.index("kind_age")] == 1.0
    assert row[CONFIDENCE_FEATURES.index("any_typed")] == 0.0  # no age anywhere


def test_how_old_someone_is_has_only_sentences_with_their_age_as_candidates(
    table: SentenceTable,
) -> None:
    assert candidate_positions(table, ask(table, "How old is Ashton Carter?")) == []
    assert candidate_positions(table, ask(table, "At what age did Carter speak?"))


def test_only_the_words_that_carry_meaning_are_matched(table: SentenceTable) -> None:
    text = "What did the head of the coalition say?"
    encoding = table.index.encoder.encode_tokens(text)
    kept = [
        text[int(a) : int(b)]
        for (a, b), keep in zip(encoding.spans, content_tokens(encoding, text), strict=True)
        if keep
    ]
    assert kept == ["head", "coalition"]


FAQ = """Questions about the kiln

 1. Does the kiln need a chimney?

    No. It vents through the wall fan.

 2. How hot does the kiln get?

    It reaches 1,300 degrees on a long firing.
"""


def candidate_texts(tmp_path: Path, settings: Settings, text: str, question: str) -> list[str]:
    """The candidate sentences for `question` in an index of `text` alone."""
    own = settings.with_overrides(index_dir=tmp_path / "own")
    document = document_from(raw_from_bytes(text.encode(), "faq.txt"))
    table = SentenceTable(build_index(own, [document]))
    return [table.sentences[p].text for p in candidate_positions(table, ask(table, question))]


def test_a_question_line_is_never_a_candidate_but_what_follows_it_is(
    tmp_path: Path, settings: Settings
) -> None:
    texts = candidate_texts(tmp_path, settings, FAQ, "Does the kiln need a chimney?")
    assert not any(t.rstrip().endswith("?") for t in texts)
    assert any("It vents through the wall fan." in t for t in texts)


NUMBERED_FAQ = """Questions about the kiln

4.3. The kiln's thermometer seems to read low. What's happening?

The probe sits behind the door, where the air is cooler.

4.4. The glaze crazes on every firing. Can I stop it?

Cool the kiln more slowly.
"""


def test_what_leads_up_to_a_numbered_entrys_question_is_not_a_candidate(
    tmp_path: Path, settings: Settings
) -> None:
    question = "Why does the kiln thermometer read low?"
    texts = candidate_texts(tmp_path, settings, NUMBERED_FAQ, question)
    assert not any("seems to read low" in t or "crazes" in t for t in texts)
    assert "The probe sits behind the door, where the air is cooler." in texts


CLUB_HISTORY = """The Chess Club

The club was founded by Ada Marsh in 1921. She ran it from a room above the bakery.

Ada Marsh was born in Leeds in 1890. Her brother Tom built the first boards.
"""


def test_only_a_sentence_that_tells_a_birth_is_a_candidate_for_a_birth_question(
    tmp_path: Path, settings: Settings
) -> None:
    texts = candidate_texts(tmp_path, settings, CLUB_HISTORY, "When was Ada Marsh born?")
    assert texts == ["Ada Marsh was born in Leeds in 1890."]
    founded = candidate_texts(tmp_path, settings, CLUB_HISTORY, "When was the club founded?")
    assert "The club was founded by Ada Marsh in 1921." in founded
