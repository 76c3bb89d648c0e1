import pytest

from bot.core import Answerer
from bot.lexicon import Lexicon


def test_term_ids_are_found_and_remembered_within_a_bound(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.lexicon.MAX_REMEMBERED_TERMS", 3)
    arrays = answerer.index.tables.arrays
    lexicon = Lexicon(arrays, answerer.index.tables.sentence_count)
    syria = lexicon.term_id("syria")
    assert syria is not None and lexicon.term_id("nonexistentterm") is None
    start, end = arrays["vocab_offsets"][syria : syria + 2]
    assert arrays["vocab_bytes"][start:end].tobytes() == b"syria"
    found = [lexicon.term_id(t) for t in ("syria", "russia", "assad", "kerry", "syria")]
    assert len(lexicon._term_ids) <= 3 and found[0] == found[-1] == syria
    assert len(set(found[:4])) == 4
