import dataclasses
from pathlib import Path

import pytest

from bot import types
from bot.types import Answer, Citation


def test_the_types_are_frozen() -> None:
    citation = Citation(1, "a.txt", 2, 1, "Text.", 0.5, answer_span=(0, 4))
    answer = Answer("q", "Text. [1]", True, (citation,), confidence=0.91234)
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.text = "changed"  # type: ignore[misc]
    data = answer.to_json()
    assert data["confidence"] == 0.9123
    assert data["citations"][0] == {
        "n": 1,
        "document": "",
        "source": "a.txt",
        "paragraph": 2,
        "sentence": 1,
        "text": "Text.",
        "score": 0.5,
        "answer_span": [0, 4],
    }


def test_a_citation_without_a_phrase_has_a_null_span() -> None:
    assert Citation(1, "a.txt", 1, 1, "Text.", 0.5).to_json()["answer_span"] is None


def test_the_module_imports_nothing_of_ours() -> None:
    source = Path(types.__file__).read_text("utf-8")
    assert "from bot" not in source and "import bot" not in source
