import subprocess
import sys

import numpy as np
import pytest

from bot.embeddings import (
    EncoderEmbeddings,
    LazyOnnxEncoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    resolve_model,
)
from bot.errors import ModelError
from bot.index import ArticleIndex
from bot.settings import PROJECT_ROOT

TEXTS = ["Who heads the Syrian National Coalition?", "Russia gave a warning to the US.", "x"]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("all-MiniLM-L6-v2")


def test_onnx_query_encoder_matches_sentence_transformers(
    article_index: ArticleIndex, reference: SentenceTransformerEncoder
) -> None:
    assert isinstance(article_index.encoder, LazyOnnxEncoder | OnnxEncoder)
    onnx_vectors = article_index.encoder.encode(TEXTS)
    np.testing.assert_allclose(onnx_vectors, reference.encode(TEXTS), atol=1e-5)


def test_paragraph_vectors_from_the_token_pass_equal_encode(
    reference: SentenceTransformerEncoder,
) -> None:
    paragraph = "Carter spoke on Wednesday. He said the approach was doomed to fail."
    (encoding,) = reference.encode_paragraphs([paragraph], [[(0, 26), (27, len(paragraph))]])
    np.testing.assert_allclose(encoding.paragraph, reference.encode([paragraph])[0], atol=1e-5)
    assert encoding.sentences.shape == (2, reference.dimension)
    np.testing.assert_allclose(np.linalg.norm(encoding.sentences, axis=1), 1.0, atol=1e-5)
    # in context, yet still close to the sentence read alone
    alone = reference.encode(["He said the approach was doomed to fail."])[0]
    assert float(encoding.sentences[1] @ alone) > 0.7


def test_langchain_embeddings_adapter(reference: SentenceTransformerEncoder) -> None:
    adapter = EncoderEmbeddings(reference)
    assert len(adapter.embed_query("hello")) == reference.dimension
    assert len(adapter.embed_documents(["a", "b"])) == 2


def test_the_default_name_resolves_to_the_bundled_model() -> None:
    assert resolve_model("all-MiniLM-L6-v2").endswith("model")
    assert resolve_model("/some/local/path") == "/some/local/path"


def test_an_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="Cannot load embedding model"):
        SentenceTransformerEncoder("/nonexistent/model-dir").encode(["x"])


def test_answering_never_imports_torch(article_index: ArticleIndex, index_dir: object) -> None:
    """Nor pymilvus: the default faiss store never pays for Milvus."""
    code = (
        "import sys; from pathlib import Path; from bot.settings import settings_from_env; "
        "from bot.index import open_index; from bot.core import Answerer; "
        f"s = settings_from_env(index_dir=Path({str(index_dir)!r})); "
        "a = Answerer(open_index(s), s); "
        "a.answer('Who is Ashton Carter?'); "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, "
        "'pymilvus' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert out.stdout.split() == ["False", "False", "False"]


def test_sentences_past_the_length_limit_are_read_alone_in_one_batch(
    reference: SentenceTransformerEncoder,
) -> None:
    filler = "The committee met again and talked about the budget for the year. " * 40
    tail = ["Carter resigned on Friday.", "Khoja left the coalition in May."]
    paragraphs = [filler + tail[0], filler + tail[1]]
    spans = [[(len(filler), len(p))] for p in paragraphs]
    encodings = reference.encode_paragraphs(paragraphs, spans)
    for encoding, sentence in zip(encodings, tail, strict=True):
        alone = reference.encode_tokens(sentence)
        np.testing.assert_allclose(encoding.sentences[0], alone.vector, atol=1e-5)
        np.testing.assert_array_equal(encoding.token_ids, alone.ids)
