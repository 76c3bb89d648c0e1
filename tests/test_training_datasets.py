import pytest

from tests.conftest import PROJECT_ROOT
from training.datasets import PARAPHRASES, evidence_window, paraphrase_entries, squad_entries

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


@pytest.mark.skipif(not SQUAD.is_file(), reason="../shared/data/squad2 is not beside the checkout")
def test_the_paraphrases_are_questions_on_squad_articles_whose_evidence_they_hold() -> None:
    squad = squad_entries(SQUAD)
    entries = paraphrase_entries(squad, PARAPHRASES)
    titles = {e.name for e in squad}
    assert entries and all(e.kind == "para" and e.name in titles for e in entries)
    ids = [q["id"] for e in entries for q in e.qa]
    assert len(ids) == len(set(ids))
    for entry in entries:
        text = " ".join(entry.document.text.split())
        for item in entry.qa:
            if item.get("unanswerable"):
                continue
            assert any(e in text for e in item["evidence_any"]), item["id"]
            assert any(a in e for a in item["answer_any"] for e in item["evidence_any"]) or any(
                a in text for a in item["answer_any"]
            ), item["id"]
