"""The trained selector: its file, and the quality bars a broken model must fail."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core import Answerer
from bot.embeddings import SentenceTransformerEncoder
from bot.errors import ModelError
from bot.evaluate import Scores, evaluate, load_items, load_manifest
from bot.index import ArticleIndex, memory_index
from bot.readers import load_document
from bot.selector import PARAMETERS, Linear, Selector, load_selector
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import SHARED_EVAL

MANIFEST = PROJECT_ROOT / "data" / "eval" / "manifest.json"
NEWS = ("world-cup-day-five", "homeopathy-parents-prosecuted")
needs_eval = pytest.mark.skipif(
    not (SHARED_EVAL / "visible_qa.jsonl").is_file(), reason="../shared is not beside the checkout"
)


def test_the_shipped_parameters_load_and_match_the_features() -> None:
    selector = load_selector()
    assert 0.0 < selector.threshold < 1.0
    card = PARAMETERS.with_suffix(".json")
    assert card.is_file() and "held_out_totals" in card.read_text("utf-8")


def test_parameters_for_other_features_are_refused(tmp_path: Path) -> None:
    selector = load_selector()
    stale = replace(
        selector, ranker=replace(selector.ranker, names=("something", *selector.ranker.names[1:]))
    )
    stale.save(tmp_path / "stale.npz")
    with pytest.raises(ModelError, match="make train"):
        load_selector(tmp_path / "stale.npz")


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot be read"):
        load_selector(tmp_path / "bad.npz")
    with pytest.raises(ModelError):
        load_selector(tmp_path / "missing.npz")


def test_saving_and_loading_keep_every_number(tmp_path: Path) -> None:
    selector = load_selector()
    selector.save(tmp_path / "copy.npz")
    copy = load_selector(tmp_path / "copy.npz")
    assert copy.threshold == selector.threshold
    assert copy.followup_threshold == selector.followup_threshold
    np.testing.assert_array_equal(copy.ranker.coef, selector.ranker.coef)
    np.testing.assert_array_equal(copy.calibrator.mean, selector.calibrator.mean)


def test_a_follow_up_has_its_own_bar_and_a_file_without_one_uses_the_main_bar(
    tmp_path: Path,
) -> None:
    selector = Selector(*_parts(load_selector()), 0.4, 0.2)
    assert selector.bar(followup=False) == 0.4 and selector.bar(followup=True) == 0.2
    older = Selector(*_parts(selector), 0.4)
    older.save(tmp_path / "older.npz")
    assert load_selector(tmp_path / "older.npz").bar(followup=True) == 0.4


def _parts(selector: Selector) -> tuple[Linear, Linear]:
    return selector.ranker, selector.calibrator


def constant(selector: Selector) -> Selector:
    """The same selector with every weight zeroed: constant scores, constant confidence."""

    def flat(model: Linear) -> Linear:
        return replace(model, coef=np.zeros_like(model.coef))

    return Selector(flat(selector.ranker), flat(selector.calibrator), selector.threshold)


@pytest.fixture(scope="module")
def news_indexes() -> list[tuple[ArticleIndex, Path]]:
    documents = [d for d in load_manifest(MANIFEST) if d.name in NEWS]
    if not all(Path(d.source).is_file() for d in documents):
        pytest.skip("../shared/data/news is not beside the checkout")
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    return [(memory_index([load_document(d.source)], encoder), d.qa) for d in documents]


def quality(
    selector: Selector, article: ArticleIndex, news: list[tuple[ArticleIndex, Path]]
) -> Scores:
    """The visible set on the default article and two news reports, pooled."""
    sets = [(article, SHARED_EVAL / "visible_qa.jsonl"), *news]
    return Scores.total(
        evaluate(Answerer(index, Settings(), selector=selector), load_items(qa))[0]
        for index, qa in sets
    )


def meets_the_bar(scores: Scores) -> bool:
    return (
        scores.correct >= 0.7 * scores.answerable
        and scores.refused >= 0.6 * scores.unanswerable
        and scores.precision >= 0.85
    )


@needs_eval
def test_the_trained_selector_meets_the_bar(
    article_index: ArticleIndex, news_indexes: list[tuple[ArticleIndex, Path]]
) -> None:
    scores = quality(load_selector(), article_index, news_indexes)
    assert meets_the_bar(scores), scores.summary()


@needs_eval
def test_a_selector_with_constant_scores_fails_the_bar(
    article_index: ArticleIndex, news_indexes: list[tuple[ArticleIndex, Path]]
) -> None:
    scores = quality(constant(load_selector()), article_index, news_indexes)
    assert not meets_the_bar(scores), scores.summary()
