"""Fitting the two linear models, and choosing the refusal bar on held-out predictions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bot.features import CONFIDENCE_FEATURES, RANK_FEATURES, confidence_features
from bot.selector import Linear
from training.examples import Example

# How much each kind of example weighs in the confidence model: the product answers news
# readers, whose unanswerable questions (an age, a number never given) matter more than
# SQuAD's adversarial near-copies, of which there are thousands.
WEIGHTS = {
    ("squad", "answerable"): 1.0,
    ("squad", "unanswerable"): 0.5,
    ("squad", "removed"): 0.5,
    ("other", "answerable"): 6.0,
    ("other", "unanswerable"): 6.0,
    ("other", "removed"): 3.0,
}
# The refusal bar balances the product's two targets on its own questions (news reports,
# texts, the default article): it maximises the smaller of the share of answerable questions
# answered correctly and the share of unanswerable ones refused, while refusing at least a
# quarter of SQuAD's unanswerable ones.
MIN_SQUAD_REFUSED = 0.25
# the bars tried, rounded as they are stored, so that the bar chosen is the bar tested
_BARS = [round(float(b), 2) for b in np.arange(0.05, 0.95, 0.01)]


def fit_linear(
    x: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    weights: np.ndarray | None = None,
    c: float = 1.0,
) -> Linear:
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - scaler.mean_) / scale, y, sample_weight=weights)
    return Linear(tuple(names), scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]))


def fit_ranker(examples: Sequence[Example]) -> Linear:
    """Pointwise over the candidates of answerable questions: does it hold the answer?"""
    chosen = [e for e in examples if e.answerable]
    x = np.concatenate([e.candidates.features for e in chosen])
    y = np.concatenate([e.labels for e in chosen])
    return fit_linear(x, y, RANK_FEATURES)


def confidence_rows(examples: Sequence[Example], ranker: Linear) -> tuple[np.ndarray, np.ndarray]:
    """Each example's confidence features, and whether its best candidate answers."""
    rows, labels = [], []
    for example in examples:
        scores = ranker(example.candidates.features)
        rows.append(
            confidence_features(example.table, example.question, example.candidates, scores)
        )
        labels.append(example.answerable and bool(example.labels[int(np.argmax(scores))]))
    return np.array(rows), np.array(labels)


def example_weight(example: Example) -> float:
    family = "squad" if example.kind == "squad" else "other"
    variant = (
        "removed" if example.removed else ("unanswerable" if example.unanswerable else "answerable")
    )
    return WEIGHTS[(family, variant)]


def fit_calibrator(examples: Sequence[Example], ranker: Linear) -> Linear:
    x, y = confidence_rows(examples, ranker)
    weights = np.array([example_weight(e) for e in examples])
    return fit_linear(x, y, CONFIDENCE_FEATURES, weights)


def choose_threshold(
    examples: Sequence[Example], confidence: np.ndarray, correct: np.ndarray
) -> float:
    """The bar that best balances answering and refusing on held-out predictions."""
    asked = np.array([not e.removed for e in examples])
    unanswerable = np.array([e.unanswerable for e in examples]) & asked
    answerable = asked & ~unanswerable
    squad = np.array([e.kind == "squad" for e in examples])
    best, best_value = 0.5, (-1.0, -1.0)
    for bar in _BARS:
        answered = confidence >= bar
        if _share(~answered, squad & unanswerable) < MIN_SQUAD_REFUSED:
            continue
        right = _share(answered & correct, ~squad & answerable)
        refused = _share(~answered, ~squad & unanswerable)
        value = (min(right, refused), right + refused)
        if value > best_value:
            best, best_value = float(bar), value
    return round(best, 2)


def _share(hits: np.ndarray, among: np.ndarray) -> float:
    return float((hits & among).sum() / max(among.sum(), 1))


def choose_followup_threshold(
    confidence: np.ndarray, correct: np.ndarray, unanswerable: np.ndarray
) -> float:
    """The follow-ups' own bar, chosen the same way on the chat sets' held-out answers: the
    best balance of follow-ups answered correctly and unanswerable follow-ups refused."""
    best, best_value = 0.5, (-1.0, -1.0)
    for bar in _BARS:
        answered = confidence >= bar
        right = _share(answered & correct, ~unanswerable)
        refused = _share(~answered, unanswerable)
        value = (min(right, refused), right + refused)
        if value > best_value:
            best, best_value = float(bar), value
    return round(best, 2)
