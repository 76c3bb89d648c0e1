"""Building an index's vectors: one transformer pass per paragraph, pooled into sentences.

A sentence's tokens are read in the context of its paragraph ("late chunking"), so "He
said..." still knows who he is; the paragraph vector is the mean of the same tokens, as
`encode` pools it. Sentences cut off by the model's length limit are read on their own.

A build should cost about what a raw `encode` of its paragraphs costs. sentence-transformers
sorts texts by characters into batches of 32, which pads real paragraphs by a quarter of
their tokens (one 256-token paragraph among 60-token ones pads them all to 256). Here texts
are tokenised once, sorted by their token counts, and cut into the batches that cost least
in padding and in calls: on the SQuAD and news paragraphs, 176k tokens run for the
paragraphs and the cut-off sentences together, where a raw encode runs 193k for the
paragraphs alone. A row's vectors do not depend on its batch, up to float noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.pooling import BATCH_SIZE, TokenEncoding, Vectors, normalise, token_encoding
from bot.pooling import pooling_mode as _pooling_mode

# a transformer call costs about as much as this many tokens more: its threads meet at every
# step, which on a busy machine costs a 60-token text eight times its own work
CALL_COST = 300
MAX_TEXTS = 8 * BATCH_SIZE  # texts in a call, at most: bounds the search for batches


@dataclass(frozen=True)
class ParagraphEncoding:
    """A paragraph's vector, the vectors of its sentences (pooled from the same pass), and
    each sentence's token vectors and ids, one after another (`token_counts` per sentence)."""

    paragraph: np.ndarray
    sentences: Vectors
    tokens: Vectors
    token_ids: np.ndarray
    token_counts: tuple[int, ...]


def encode_paragraphs(
    model: Any, paragraphs: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
) -> list[ParagraphEncoding]:
    """Each paragraph's encoding; `spans` are its sentences' character offsets in it."""
    texts = list(paragraphs)
    encodings = fast_tokenizer(model).encode_batch(texts)
    read = []
    for text, sentence_spans, token_array, encoding in zip(
        texts, spans, token_vectors(model, texts, encodings), encodings, strict=True
    ):
        count = len(token_array)
        bounds = np.asarray(encoding.offsets[:count], dtype=np.int64).reshape(-1, 2)
        ids = np.asarray(encoding.ids[:count], dtype=np.int32)
        read.append((text, sentence_spans, token_array, bounds, ids))
    alone = _cut_off_sentences(model, read)
    return [_pool(*paragraph, alone) for paragraph in read]


def _cut_off_sentences(model: Any, read: list[Any]) -> dict[str, TokenEncoding]:
    """The sentences the model's length limit cut off, each read on its own: batched
    together, since one transformer call each cost long paragraphs a fifth of a build."""
    cut: list[str] = []
    for text, spans, _vectors, bounds, _ids in read:
        starts, ends = bounds[:, 0], bounds[:, 1]
        for start, end in spans:
            if not _within(starts, ends, start, end):
                cut.append(text[start:end])
    cut = list(dict.fromkeys(cut))
    if not cut:
        return {}
    encodings = fast_tokenizer(model).encode_batch(cut)
    hidden = token_vectors(model, cut, encodings)
    return {text: token_encoding(h, e) for text, h, e in zip(cut, hidden, encodings, strict=True)}


def token_vectors(
    model: Any, texts: Sequence[str], encodings: Sequence[Any] | None = None
) -> list[np.ndarray]:
    """Each text's token vectors, from its `encodings` by `fast_tokenizer` when given. For a
    plain mean-pooling model the transformer runs here directly, in batches of like token
    counts and without encode's per-item output handling; other models go through encode."""
    if not is_plain_mean_pooling(model):
        tokens = model.encode(list(texts), batch_size=BATCH_SIZE, output_value="token_embeddings")
        return [np.asarray(t.cpu().numpy(), dtype=np.float32) for t in tokens]
    import torch

    if encodings is None:
        encodings = fast_tokenizer(model).encode_batch(list(texts))
    transformer = model[0].auto_model
    arrays: list[np.ndarray] = [np.zeros(0)] * len(texts)
    with torch.inference_mode():
        lengths = [len(e.ids) for e in encodings]
        for batch in batches(lengths, BATCH_SIZE * model.max_seq_length):
            features = _features(model.tokenizer, [encodings[i] for i in batch])
            hidden = transformer(**features).last_hidden_state.numpy()
            for row, index in enumerate(batch):
                arrays[index] = np.asarray(hidden[row, : len(encodings[index].ids)], np.float32)
    return arrays


def batches(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Indices of texts by `lengths` (token counts), longest first, cut into the batches that
    cost least: a batch costs its padded size and CALL_COST, and holds at most `capacity`
    padded tokens (a longer text goes alone). Found exactly, by dynamic programming."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    longest = [lengths[i] for i in order]
    cost = [0.0] + [float("inf")] * len(order)  # cost[n]: of the first n texts
    first = [0] * (len(order) + 1)  # cost[n] is reached by a batch order[first[n]:n]
    for end in range(1, len(order) + 1):
        for start in range(end - 1, max(end - MAX_TEXTS, 0) - 1, -1):
            size = (end - start) * longest[start]
            if size > capacity and end - start > 1:
                break
            if cost[start] + size + CALL_COST < cost[end]:
                cost[end], first[end] = cost[start] + size + CALL_COST, start
    found, end = [], len(order)
    while end:
        found.append(order[first[end] : end])
        end = first[end]
    return found[::-1]


def _features(tokenizer: Any, encodings: Sequence[Any]) -> dict[str, Any]:
    """The model's inputs for a batch, padded on the right as its tokenizer pads them."""
    import torch

    shape = (len(encodings), max(len(e.ids) for e in encodings))
    columns = {
        "input_ids": np.full(shape, tokenizer.pad_token_id, dtype=np.int64),
        "token_type_ids": np.full(shape, tokenizer.pad_token_type_id, dtype=np.int64),
        "attention_mask": np.zeros(shape, dtype=np.int64),
    }
    for row, encoding in enumerate(encodings):
        count = len(encoding.ids)
        columns["input_ids"][row, :count] = encoding.ids
        columns["token_type_ids"][row, :count] = encoding.type_ids
        columns["attention_mask"][row, :count] = encoding.attention_mask
    return {name: torch.from_numpy(columns[name]) for name in tokenizer.model_input_names}


def fast_tokenizer(model: Any) -> Any:
    """The model's own Rust tokenizer, truncated as the model is: offsets without a wrapper."""
    tokenizer = model.tokenizer.backend_tokenizer
    tokenizer.enable_truncation(model.max_seq_length)
    tokenizer.no_padding()
    return tokenizer


def _pool(
    text: str,
    spans: Sequence[tuple[int, int]],
    token_vectors: np.ndarray,
    bounds: np.ndarray,
    ids: np.ndarray,
    alone: dict[str, TokenEncoding],
) -> ParagraphEncoding:
    paragraph = normalise(token_vectors.mean(axis=0, keepdims=True))[0]
    starts, ends = bounds[:, 0], bounds[:, 1]
    pooled, tokens, token_ids = [], [], []
    for start, end in spans:
        if _within(starts, ends, start, end):
            rows = (ends > starts) & (starts < end) & (ends > start)
            pooled.append(token_vectors[rows].mean(axis=0))
            tokens.append(token_vectors[rows])
            token_ids.append(ids[rows])
        else:  # cut off by the model's length limit: read on its own
            own = alone[text[start:end]]
            pooled.append(own.vector)
            tokens.append(own.tokens)
            token_ids.append(own.ids)
    return ParagraphEncoding(
        paragraph,
        normalise(np.stack(pooled)),
        normalise(np.concatenate(tokens)),
        np.concatenate(token_ids).astype(np.int32),
        tuple(len(t) for t in tokens),
    )


def _within(starts: np.ndarray, ends: np.ndarray, start: int, end: int) -> bool:
    """Whether the tokens read of a paragraph cover the span [start, end) to its end."""
    rows = (ends > starts) & (starts < end) & (ends > start)
    return bool(rows.any() and ends[rows].max() >= end - 1)


def is_plain_mean_pooling(model: Any) -> bool:
    """Transformer, mean Pooling and optionally Normalize, padded on the right: the structure
    late chunking assumes."""
    names = [type(module).__name__ for module in model]
    try:
        return (
            names[:2] == ["Transformer", "Pooling"]
            and set(names[2:]) <= {"Normalize"}
            and _pooling_mode(model) == "mean"
            and getattr(model.tokenizer, "padding_side", "right") == "right"
        )
    except ValueError:
        return False
