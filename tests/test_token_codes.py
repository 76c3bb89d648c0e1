"""Token vectors stored as int8: they read back as written, encode again to the same codes,
and keep MaxSim within a hair of the float vectors they stand for (real model, real index)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.candidates import Question, candidate_positions
from bot.embeddings import SentenceTransformerEncoder
from bot.features import RANK_FEATURES, rank_features
from bot.index import ArticleIndex, embed_document, open_index
from bot.index_load import previous_vectors
from bot.retrieval import make_query
from bot.settings import Settings
from bot.table import SentenceTable
from bot.tables import Tables
from bot.token_codes import decode_tokens, encode_tokens, similarity_to, token_rows


def unit_vectors(count: int, dimension: int = 384, seed: int = 2) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def test_codes_decode_to_unit_vectors_close_to_the_originals() -> None:
    vectors = unit_vectors(300)
    codes = encode_tokens(vectors)
    assert codes.dtype == np.int8 and codes.shape == vectors.shape
    assert (np.abs(codes).max(axis=1) == 127).all()  # each token uses its whole range
    decoded = decode_tokens(codes)
    np.testing.assert_allclose(np.linalg.norm(decoded, axis=1), 1.0, atol=1e-6)
    assert ((decoded * vectors).sum(axis=1) > 0.9998).all()


def test_decoded_vectors_encode_again_to_the_same_codes() -> None:
    codes = encode_tokens(unit_vectors(300, seed=3))
    np.testing.assert_array_equal(encode_tokens(decode_tokens(codes)), codes)


def test_no_tokens_and_a_zero_vector_are_stored_without_error() -> None:
    assert encode_tokens(np.zeros((0, 8), np.float32)).shape == (0, 8)
    zero = encode_tokens(np.zeros((1, 8), np.float32))
    assert not zero.any() and not decode_tokens(zero).any()


def test_similarity_to_codes_is_the_dot_product_of_their_decoded_vectors() -> None:
    rng = np.random.default_rng(3)
    codes = encode_tokens(rng.standard_normal((300, 384)).astype(np.float32))
    codes[7] = 0  # a zero vector matches nothing
    queries = rng.standard_normal((9, 384)).astype(np.float32)
    similarity = similarity_to(codes, queries)
    assert similarity.shape == (300, 9) and similarity.dtype == np.float32
    np.testing.assert_allclose(similarity, decode_tokens(codes) @ queries.T, rtol=1e-5, atol=1e-5)
    assert not similarity[7].any()


def test_a_saved_index_reads_tokens_as_the_index_in_memory_did(
    article_index: ArticleIndex, settings: Settings
) -> None:
    arrays = open_index(settings).tables.arrays
    assert arrays["token_codes"].dtype == np.int8 and "tokens" not in arrays
    assert arrays["sentence_vectors"].dtype == arrays["paragraph_vectors"].dtype == np.float16
    rows = np.arange(len(arrays["token_codes"]))
    np.testing.assert_array_equal(
        token_rows(arrays, rows), token_rows(article_index.tables.arrays, rows)
    )


def test_vectors_reused_by_a_rebuild_encode_to_the_codes_stored(
    article_index: ArticleIndex, settings: Settings
) -> None:
    (reused,) = previous_vectors(settings).values()
    stored = open_index(settings).tables.arrays["token_codes"]
    np.testing.assert_array_equal(encode_tokens(reused.tokens), stored)
    np.testing.assert_array_equal(encode_tokens(decode_tokens(stored)), stored)


def with_float_tokens(index: ArticleIndex, tokens: np.ndarray) -> ArticleIndex:
    """The same index with tokens that int8 codes reproduce exactly up to float32 rounding:
    as if they were not quantised at all."""
    arrays = dict(index.tables.arrays)
    arrays["token_codes"] = np.asarray(tokens, dtype=np.float32)  # decode_tokens reads floats
    return replace(index, tables=Tables(arrays, index.tables.meta))


QUESTIONS = (
    "What did the defence chief say about Russia?",
    "Who is targeting ISIS?",
    "How many air strikes were there?",
    "Where did the jets fly?",
)


def test_maxsim_features_stay_within_a_hair_of_those_of_float_tokens(
    article_index: ArticleIndex,
) -> None:
    """The quantisation error MaxSim sees is far below what moves an answer."""
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    tokens = embed_document(encoder, article_index.document).tokens
    exact = with_float_tokens(article_index, tokens)
    columns = [RANK_FEATURES.index(n) for n in ("maxsim", "maxsim_idf", "reverse_maxsim")]
    for text in QUESTIONS:
        features = []
        for index in (article_index, exact):
            table = SentenceTable(index)
            query = make_query(table, text, [])
            encoding = index.encoder.encode_tokens(query.resolved)
            question = Question(query.resolved, query.kind, query.terms, encoding)
            positions = candidate_positions(table, question)
            features.append(rank_features(table, question, positions).features[:, columns])
        difference = np.abs(features[0] - features[1])
        assert 0 < difference.max() < 0.003
