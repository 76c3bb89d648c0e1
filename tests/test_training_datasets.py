import pytest

from tests.conftest import PROJECT_ROOT
from training.datasets import evidence_window, squad_entries

SQUAD = PROJECT_ROOT.parent / "shared" / "data" / "squad2" / "dev-articles-9-35.json"


def test_the_evidence_is_the_answer_in_its_words_without_crossing_a_sentence_end() -> None:
    context = "It rained. The Normans reached Italy in 999, said the chronicle. Then more."
    assert evidence_window(context, "999") == "reached Italy in 999, said the chronicle"
    assert evidence_window(context, "not there") is None


@pytest.mark.skipif(not SQUAD.is_file(), reason="../shared/data/squad2 is not beside the checkout")
def test_each_squad_article_is_a_document_with_located_evidence() -> None:
    entries = squad_entries(SQUAD)
    assert len(entries) == 27
    first = entries[0]
    assert first.document.title == first.name.replace("_", " ")
    answerable = [q for q in first.qa if not q.get("unanswerable")]
    text = " ".join(first.document.text.split())
    assert answerable and all(any(e in text for e in q["evidence_any"]) for q in answerable)
