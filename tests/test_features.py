import numpy as np

from bot.candidates import candidate_positions
from bot.features import (
    CONFIDENCE_FEATURES,
    RANK_FEATURES,
    confidence_features,
    content_tokens,
    rank_features,
)
from bot.table import SentenceTable
from tests.conftest import ask


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


def test_only_the_words_that_carry_meaning_are_matched(table: SentenceTable) -> None:
    text = "What did the head of the coalition say?"
    encoding = table.index.encoder.encode_tokens(text)
    kept = [
        text[int(a) : int(b)]
        for (a, b), keep in zip(encoding.spans, content_tokens(encoding, text), strict=True)
        if keep
    ]
    assert kept == ["head", "coalition"]
