from pathlib import Path

import numpy as np

from bot.candidates import candidate_positions
from bot.features import (
    CONFIDENCE_FEATURES,
    RANK_FEATURES,
    confidence_features,
    content_tokens,
    rank_features,
)
from bot.settings import Settings
from bot.table import SentenceTable
from tests.conftest import answerer_of, ask, position_of


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


KILN_FAQ = """Questions about the kiln

 1. Does the kiln need a chimney?

    No. It vents through the wall fan.

 2. How hot does the kiln get?

    It reaches 1,300 degrees on a long firing.
"""


def test_the_answer_under_a_question_line_is_as_close_as_the_line(
    tmp_path: Path, settings: Settings
) -> None:
    """The line that asks is no candidate; the answer under it stands in, and matches the
    question as well as that line does (alone, "No. It vents ..." shares no word with it)."""
    table = SentenceTable(answerer_of(KILN_FAQ, tmp_path, settings).index)
    question = ask(table, "Does the kiln need a chimney?")
    positions = candidate_positions(table, question)
    candidates = rank_features(table, question, positions)
    maxsim = candidates.features[:, RANK_FEATURES.index("maxsim_idf")]
    best = positions[int(np.argmax(maxsim))]
    assert best == position_of(table, "No. It vents through the wall fan.")
    assert maxsim.max() > 0.9
