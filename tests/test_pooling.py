from types import SimpleNamespace

import numpy as np

from bot.pooling import normalise, token_encoding


def test_normalise_gives_unit_rows_and_leaves_zero_rows_zero() -> None:
    rows = normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows.dtype == np.float32
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_token_encoding_pools_every_token_but_keeps_only_the_texts_own() -> None:
    hidden = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0], [3.0, 0.0]], dtype=np.float32)
    encoding = SimpleNamespace(
        special_tokens_mask=[1, 0, 0, 1],
        offsets=[(0, 0), (0, 3), (4, 7), (0, 0)],
        ids=[101, 7, 8, 102],
    )
    found = token_encoding(hidden, encoding)
    assert np.allclose(found.vector, normalise(hidden.mean(axis=0, keepdims=True))[0])
    assert found.ids.tolist() == [7, 8] and found.spans.tolist() == [[0, 3], [4, 7]]
    assert np.allclose(found.tokens[0], [0.0, 1.0])
    assert np.allclose(token_encoding(hidden, encoding, "cls").vector, [1.0, 0.0])
