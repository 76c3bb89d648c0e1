"""An index's sentence and token vectors as stored arrays, and each token id's IDF.

Token vectors are what MaxSim reads, and as float16 they were nearly all of an index (768
bytes a token, some 130 KB a paragraph). They are stored as int8, scaled per token so that
its largest component is ±127, and read back renormalised to unit length: the scale drops
out, so 384 bytes a token is all there is. That moves a MaxSim similarity by 0.0003 on
average (0.002 at most) on the training documents; product quantisation at 32 to 128 bytes a
token moved it by 0.04 to 0.009 and changed 14% of answers at 32 bytes, 4-bit by 0.006.
Sentence and paragraph vectors are float16 (read as float32): a cosine moves by under 1e-3.
An index written by the same code in memory and on disk gives the same features to the bit.
"""

from __future__ import annotations

import numpy as np

VECTOR_DTYPE = np.float16  # sentence and paragraph vectors
_LEVELS = 127  # int8 codes: -127..127


def encode_tokens(tokens: np.ndarray) -> np.ndarray:
    """Each token vector as int8 codes, scaled by its own largest component."""
    # scaled in place in one float32 copy: a build's tokens are some 250 MB as float32, and
    # a temporary per step cost four times as long (the codes are the same)
    scaled = np.array(tokens, dtype=np.float32)
    if len(scaled):
        largest = np.maximum(scaled.max(axis=1, keepdims=True), -scaled.min(axis=1, keepdims=True))
        scaled *= _LEVELS / np.maximum(largest, 1e-12)
        np.rint(scaled, out=scaled)
    return scaled.astype(np.int8)


def decode_tokens(codes: np.ndarray) -> np.ndarray:
    """Unit-length float32 vectors from int8 codes (encoding them again gives the codes)."""
    vectors = np.asarray(codes, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    decoded: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return decoded


def vector_arrays(
    sentences: np.ndarray, tokens: np.ndarray, token_ids: np.ndarray, token_counts: np.ndarray
) -> dict[str, np.ndarray]:
    """The stored form of an index's sentence and token vectors, and each token id's IDF."""
    offsets = np.concatenate([[0], np.cumsum(token_counts)]).astype(np.int64)
    ids = np.asarray(token_ids, dtype=np.int32)
    count = len(offsets) - 1
    return {
        "sentence_vectors": np.asarray(sentences, dtype=VECTOR_DTYPE).reshape(count, -1),
        "token_offsets": offsets,
        "token_ids": ids,
        "token_idf": token_idf(ids.astype(np.int64), offsets, count),
        "token_codes": encode_tokens(np.asarray(tokens).reshape(len(ids), -1)),
    }


def similarity_to(codes: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The dot products of the unit vectors `codes` stand for with `queries`: (codes, queries).
    Multiplied first and divided by the norms after, which is a fifth of the work of
    decoding every row (a question reads thousands of token rows, and asks about ten)."""
    vectors = np.asarray(codes, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    product = vectors @ np.asarray(queries, dtype=np.float32).T
    similarity: np.ndarray = product / np.maximum(norms, 1e-12)[:, None]
    return similarity


def token_rows(arrays: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The token vectors at `rows` as MaxSim reads them: unit length, float32."""
    return decode_tokens(arrays["token_codes"][rows])


def token_idf(ids: np.ndarray, offsets: np.ndarray, sentences: int) -> np.ndarray:
    """IDF of every token id over sentences (ids absent from the index get the rarest IDF)."""
    owner = np.repeat(np.arange(sentences), np.diff(offsets))
    size = int(ids.max()) + 1 if len(ids) else 1
    pairs = np.unique(owner * size + ids) % size if len(ids) else ids
    frequency = np.bincount(pairs, minlength=size)
    idf: np.ndarray = np.log((sentences + 1) / (frequency + 0.5))
    return idf
