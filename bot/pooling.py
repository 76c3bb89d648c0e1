"""What every encoder of the project shares: the vector types and how token states are pooled.

Below bot.embeddings (the encoders) and bot.late_chunking (how a build feeds the model), so
that neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Vectors = np.ndarray  # float32, shape (n, dimension), rows L2-normalised
BATCH_SIZE = 32


@dataclass(frozen=True)
class TokenEncoding:
    """A text's pooled vector and its token vectors (special tokens left out), all unit length:
    what token-level matching (MaxSim) needs of a question."""

    vector: np.ndarray
    tokens: Vectors
    ids: np.ndarray  # the model's token ids, int32
    spans: np.ndarray  # (n, 2) character offsets of each token in the text


def normalise(vectors: np.ndarray) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: Vectors = vectors / np.maximum(norms, 1e-12)
    return normalised


def token_encoding(hidden: np.ndarray, encoding: Any, pooling: str = "mean") -> TokenEncoding:
    """The pooled vector (over every token, as sentence-transformers pools), and the unit
    token vectors of the text's own tokens, without [CLS] and [SEP]."""
    count = len(hidden)
    own = np.asarray(encoding.special_tokens_mask[:count], dtype=bool) == 0
    if not own.any():
        own[:] = True
    pooled = hidden[:1] if pooling == "cls" else hidden.mean(axis=0, keepdims=True)
    vector = normalise(pooled)[0]
    spans = np.asarray(encoding.offsets[:count], dtype=np.int64).reshape(-1, 2)[own]
    ids = np.asarray(encoding.ids[:count], dtype=np.int32)[own]
    return TokenEncoding(vector, normalise(hidden[own]), ids, spans)


def pooling_mode(model: Any) -> str:
    pooling = model[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "cls" if getattr(pooling, "pooling_mode_cls_token", False) else "mean"
    )
    if mode not in ("mean", "cls"):
        raise ValueError(f"pooling {mode!r} is not exported")
    return str(mode)
