"""An index's sentence and token vectors as stored arrays, and each token id's IDF.

Stored exactly as the answering core reads them, so a saved index and one in memory give the
same features to the last bit: sentence vectors float32, token vectors float16 (unit length,
as format 3 kept them). Quantising them further (int8 sentences, 4-bit or product-quantised
tokens) was tried and changed answers on the evaluation sets, so it is not done.
"""

from __future__ import annotations

import numpy as np


def vector_arrays(
    sentences: np.ndarray, tokens: np.ndarray, token_ids: np.ndarray, token_counts: np.ndarray
) -> dict[str, np.ndarray]:
    """The stored form of an index's sentence and token vectors, and each token id's IDF."""
    offsets = np.concatenate([[0], np.cumsum(token_counts)]).astype(np.int64)
    ids = np.asarray(token_ids, dtype=np.int32)
    return {
        "sentence_vectors": np.asarray(sentences, dtype=np.float32).reshape(len(offsets) - 1, -1),
        "token_offsets": offsets,
        "token_ids": ids,
        "token_idf": token_idf(ids.astype(np.int64), offsets, len(offsets) - 1),
        "tokens": np.asarray(tokens, dtype=np.float16),
    }


def token_idf(ids: np.ndarray, offsets: np.ndarray, sentences: int) -> np.ndarray:
    """IDF of every token id over sentences (ids absent from the index get the rarest IDF)."""
    owner = np.repeat(np.arange(sentences), np.diff(offsets))
    size = int(ids.max()) + 1 if len(ids) else 1
    pairs = np.unique(owner * size + ids) % size if len(ids) else ids
    frequency = np.bincount(pairs, minlength=size)
    idf: np.ndarray = np.log((sentences + 1) / (frequency + 0.5))
    return idf
