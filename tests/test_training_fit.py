import numpy as np

from training.fit import choose_followup_threshold, fit_linear


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
