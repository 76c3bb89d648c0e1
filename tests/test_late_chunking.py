import numpy as np
import pytest

from bot.embeddings import SentenceTransformerEncoder
from bot.late_chunking import batches, encode_paragraphs, token_vectors


@pytest.fixture(scope="module")
def model() -> object:
    return SentenceTransformerEncoder("all-MiniLM-L6-v2").model


def test_batches_take_every_text_once_longest_first() -> None:
    lengths = [5, 40, 12, 40, 7, 256] * 20
    found = batches(lengths, 1024)
    flat = [i for batch in found for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    assert all(len(b) * max(lengths[i] for i in b) <= 1024 for b in found)


def test_one_long_text_does_not_pad_the_short_ones_to_its_length() -> None:
    assert batches([256, *([20] * 40)], 8192)[0] == [0]


def test_short_texts_share_a_call_rather_than_pad_much() -> None:
    """A call costs CALL_COST tokens: 40 short texts are one batch, and a text longer than
    the capacity goes alone."""
    assert batches([20] * 40, 8192) == [list(range(40))]
    assert batches([300, 10], 256) == [[0], [1]]
    assert batches([], 8192) == []


def test_a_texts_vectors_do_not_depend_on_its_batch(model: object) -> None:
    texts = ["Carter resigned on Friday.", "The committee met again. " * 30, "Khoja left."]
    together = token_vectors(model, texts)
    for text, vectors in zip(texts, together, strict=True):
        (alone,) = token_vectors(model, [text])
        np.testing.assert_allclose(vectors, alone, atol=1e-5)


def test_token_vectors_match_the_models_own_token_embeddings(model: object) -> None:
    texts = ["Carter resigned on Friday.", "Khoja left the coalition in May, aides said."]
    reference = model.encode(texts, output_value="token_embeddings")  # type: ignore[attr-defined]
    for ours, theirs in zip(token_vectors(model, texts), reference, strict=True):
        np.testing.assert_allclose(ours, theirs.cpu().numpy(), atol=1e-5)


def test_each_sentence_gets_its_tokens_and_a_unit_vector(model: object) -> None:
    paragraph = "Carter spoke on Wednesday. He said the approach was doomed to fail."
    (encoding,) = encode_paragraphs(model, [paragraph], [[(0, 26), (27, len(paragraph))]])
    assert len(encoding.token_counts) == 2 and sum(encoding.token_counts) == len(encoding.tokens)
    assert len(encoding.token_ids) == len(encoding.tokens)
    np.testing.assert_allclose(np.linalg.norm(encoding.sentences, axis=1), 1.0, atol=1e-5)
