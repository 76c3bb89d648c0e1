import numpy as np
import pytest

from bot.core import Answerer
from bot.lexicon import Lexicon, best_of, merged_postings
from bot.text import content_terms


def test_term_ids_are_found_and_remembered_within_a_bound(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.lexicon.MAX_REMEMBERED_TERMS", 3)
    arrays = answerer.index.tables.arrays
    lexicon = Lexicon(arrays, answerer.index.tables.sentence_count)
    syria = lexicon.term_id("syria")
    assert syria is not None and lexicon.term_id("nonexistentterm") is None
    start, end = arrays["vocab_offsets"][syria : syria + 2]
    assert arrays["vocab_bytes"][start:end].tobytes() == b"syria"
    found = [lexicon.term_id(t) for t in ("syria", "russia", "assad", "kerry", "syria")]
    assert len(lexicon._term_ids) <= 3 and found[0] == found[-1] == syria
    assert len(set(found[:4])) == 4


def test_the_best_bm25_matches_are_those_of_scoring_every_sentence(answerer: Answerer) -> None:
    arrays, count = answerer.index.tables.arrays, answerer.index.tables.sentence_count
    lexicon = Lexicon(arrays, count)
    asked = ("How many civilians were killed?", "Syria, Russia and Syria again", "Zzyzx?", "")
    for terms in (content_terms(text, unique=False) for text in asked):
        scores = lexicon.bm25(terms, range(count))
        ranked = [int(p) for p in np.argsort(-scores, kind="stable") if scores[p] > 0]
        assert bool(ranked) == bool(terms and terms != ["zzyzx"])
        assert lexicon.best_bm25(terms, 5, None) == ranked[:5]
        assert lexicon.best_bm25(terms, count, None) == ranked
        scope = range(3, count // 2)
        assert lexicon.best_bm25(terms, count, scope) == [p for p in ranked if p in scope]


def test_the_highest_scores_are_those_of_a_stable_sort_of_all() -> None:
    rng = np.random.default_rng(0)
    for size in (0, 1, 5, 40, 300):
        scores = rng.integers(0, 4, size).astype(np.float64) / 3  # many ties, and zeros
        ranked = np.argsort(-scores, kind="stable")
        for count in (0, 1, 3, 10, size, size + 5):
            expected = [int(i) for i in ranked[:count] if scores[i] > 0]
            assert best_of(scores, count).tolist() == expected, (size, count)


def test_the_union_of_postings_is_every_position_once_ascending() -> None:
    postings = [np.array([1, 4, 9], np.int32), np.array([], np.int32), np.array([0, 4, 10])]
    assert merged_postings(postings).tolist() == [0, 1, 4, 9, 10]
    assert merged_postings([np.array([], np.int32)]).tolist() == []
