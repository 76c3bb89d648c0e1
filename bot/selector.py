"""The learned answer selector: a ranker over candidate sentences and a calibrated
probability that the best one answers. Parameters are plain arrays in `selector.npz`
(never pickle), written by `make train`, described in `selector.json`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import ModelError
from bot.features import CONFIDENCE_FEATURES, RANK_FEATURES

PARAMETERS = Path(__file__).with_name("selector.npz")


@dataclass(frozen=True)
class Linear:
    """A standardised linear model: (x - mean) / scale @ coef + intercept."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def __call__(self, features: np.ndarray) -> np.ndarray:
        scores: np.ndarray = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return scores

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_names": np.array(self.names),
            f"{prefix}_mean": self.mean,
            f"{prefix}_scale": self.scale,
            f"{prefix}_coef": self.coef,
            f"{prefix}_intercept": np.array([self.intercept]),
        }


@dataclass(frozen=True)
class Selector:
    """`rank` scores candidates (higher is better); `confidence` is the probability that
    the best candidate answers; below `threshold` the article is taken not to say. A
    follow-up has a bar of its own, `followup_threshold`: once a reader has an answer, the
    article is likelier to answer what they ask next about it."""

    ranker: Linear
    calibrator: Linear
    threshold: float
    followup_threshold: float | None = None

    def bar(self, followup: bool) -> float:
        if followup and self.followup_threshold is not None:
            return self.followup_threshold
        return self.threshold

    def rank(self, features: np.ndarray) -> np.ndarray:
        return self.ranker(features)

    def confidence(self, features: np.ndarray) -> float:
        return float(1.0 / (1.0 + np.exp(-self.calibrator(features[None, :])[0])))

    def save(self, path: Path) -> None:
        arrays = self.ranker.arrays("rank") | self.calibrator.arrays("confidence")
        arrays["threshold"] = np.array([self.threshold])
        if self.followup_threshold is not None:
            arrays["followup_threshold"] = np.array([self.followup_threshold])
        np.savez(path, allow_pickle=False, **arrays)


def load_selector(path: Path = PARAMETERS) -> Selector:
    """The trained selector; a missing, damaged or stale file is a ModelError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        selector = Selector(
            _linear(arrays, "rank"),
            _linear(arrays, "confidence"),
            float(arrays["threshold"][0]),
            float(arrays["followup_threshold"][0]) if "followup_threshold" in arrays else None,
        )
    except (OSError, KeyError, ValueError, IndexError) as error:
        raise ModelError(f"The answer selector {path} cannot be read ({error}).") from None
    if selector.ranker.names != RANK_FEATURES or selector.calibrator.names != CONFIDENCE_FEATURES:
        raise ModelError(
            f"The answer selector {path} was trained on other features; run: make train"
        )
    return selector


def _linear(arrays: dict[str, np.ndarray], prefix: str) -> Linear:
    names = tuple(str(n) for n in arrays[f"{prefix}_names"])
    mean, scale, coef = (
        np.asarray(arrays[f"{prefix}_{k}"], dtype=np.float64) for k in ("mean", "scale", "coef")
    )
    if any(part.shape != (len(names),) for part in (mean, scale, coef)):
        raise ValueError(f"{prefix} arrays do not match its {len(names)} features")
    return Linear(names, mean, scale, coef, float(arrays[f"{prefix}_intercept"][0]))
