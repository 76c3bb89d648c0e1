from types import SimpleNamespace

import numpy as np

from training.fit import choose_followup_threshold, choose_threshold, fit_linear


def test_a_fitted_model_is_plain_arrays_that_rank_like_the_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)) * [1.0, 10.0, 0.1]
    y = (x[:, 0] + x[:, 1] / 10 > 0).astype(int)
    model = fit_linear(x, y, ("a", "b", "c"))
    assert model.names == ("a", "b", "c")
    assert model.coef.shape == (3,) and np.isfinite(model.intercept)
    scores = model(x)
    assert ((scores > 0) == y.astype(bool)).mean() > 0.95


def test_a_constant_feature_does_not_divide_by_zero() -> None:
    x = np.column_stack([np.arange(10.0), np.ones(10)])
    model = fit_linear(x, (np.arange(10) > 4).astype(int), ("a", "constant"))
    assert np.isfinite(model(x)).all()


def test_the_follow_up_bar_separates_right_answers_from_unanswerable_ones() -> None:
    confidence = np.array([0.9, 0.7, 0.45, 0.3, 0.25, 0.1])
    correct = np.array([True, True, True, False, False, False])
    unanswerable = np.array([False, False, False, True, True, True])
    bar = choose_followup_threshold(confidence, correct, unanswerable)
    assert 0.3 < bar <= 0.45


def test_the_bar_balances_the_products_own_questions_not_the_paraphrases_of_squad() -> None:
    """News questions separate at 0.3-0.6; paraphrases on SQuAD's articles that would pull
    the bar to 0.2 (right answers at 0.25, unanswerable ones at 0.05) do not count."""
    rows = [("news", False, c, True) for c in (0.6, 0.7, 0.8, 0.9)]
    rows += [("news", True, c, False) for c in (0.1, 0.2, 0.3)]
    rows += [("squad", True, 0.1, False)] * 4
    rows += [("para", False, 0.25, True)] * 8 + [("para", True, 0.05, False)] * 8
    examples = [SimpleNamespace(kind=k, unanswerable=u, removed=False) for k, u, _, _ in rows]
    confidence = np.array([c for *_, c, _ in rows])
    correct = np.array([r for *_, r in rows])
    assert 0.3 < choose_threshold(examples, confidence, correct) <= 0.6  # type: ignore[arg-type]
