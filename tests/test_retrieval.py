"""The chain on the default article: quality bars on the visible set, and its invariants."""

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.article import fold_lines
from bot.core import Answerer
from bot.evaluate import evaluate, load_items
from bot.index import build_index
from bot.retrieval import make_query
from bot.settings import Settings
from bot.table import SentenceTable
from bot.types import Document, Turn
from tests.conftest import SHARED_EVAL, answerer_of

needs_eval = pytest.mark.skipif(
    not SHARED_EVAL.is_dir(), reason="../shared/eval is not beside the checkout"
)


@needs_eval
def test_visible_qa_meets_the_bar(answerer: Answerer) -> None:
    scores, _ = evaluate(answerer, load_items(SHARED_EVAL / "visible_qa.jsonl"))
    assert scores.correct >= 18, scores.summary()
    assert scores.refused >= 7, scores.summary()
    assert scores.precision >= 0.85, scores.summary()


@needs_eval
def test_visible_follow_ups_all_pass(answerer: Answerer) -> None:
    scores, _ = evaluate(answerer, load_items(SHARED_EVAL / "visible_chat.jsonl"))
    assert scores.correct == scores.answerable == 4, scores.summary()


QUESTIONS = [
    "Who is Ashton Carter?",
    "How many flights did the jets conduct?",
    "What did Kerry tell the Security Council?",
    "What is the capital of France?",
    "Tell me a joke.",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_citations_are_verbatim_and_markers_match(answerer: Answerer, question: str) -> None:
    answer = answerer.answer(question)
    text = answerer.index.document.text
    for citation in answer.citations:
        sentence = next(
            s for s in answerer.index.document.sentences if s.id == citation.sentence_id
        )
        assert fold_lines(text[sentence.start : sentence.end]) == citation.text
        assert (citation.paragraph, citation.sentence) == (sentence.paragraph, sentence.number)
        assert f"[{citation.n}]" in answer.text
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert 0 < len(answer.citations) <= 3 if answer.answered else answer.citations == ()
    assert answer.text.strip()


def test_a_refusal_is_a_short_human_sentence_with_closest_passages(answerer: Answerer) -> None:
    answer = answerer.answer("How tall is the Eiffel Tower?")
    assert not answer.answered and answer.citations == ()
    assert answer.text == "The article doesn't say."
    assert answer.closest  # offered to frontends, never as citations


def test_how_many_needs_the_counted_thing(answerer: Answerer) -> None:
    answer = answerer.answer("How many civilians were killed?")
    assert answer.answered and "36" in answer.citations[0].text
    assert not answerer.answer("How many tanks did Russia send?").answered


def test_questions_about_the_article_itself(answerer: Answerer) -> None:
    assert answerer.answer("What is the headline?").citations[0].sentence_id.endswith(":p1s1")
    assert "Oct 1, 2015" in answerer.answer("When was the article published?").text


def test_who_wrote_it_is_not_answered_by_a_photo_credit(
    answerer: Answerer, tmp_path: Path, settings: object
) -> None:
    from bot.settings import settings_from_env

    credits = [c.text for c in answerer.answer("Who wrote the article?").citations]
    assert credits and not any(c.startswith("Photo") for c in credits), credits
    assert any("agencies" in c for c in credits), credits
    article = tmp_path / "photo.txt"
    article.write_text(
        "Bridge opens downtown\n\nPhoto by: Reuters\n\n"
        "The new bridge over the Elm River opened on Tuesday after two years of work.\n",
        "utf-8",
    )
    local = settings_from_env(index_dir=tmp_path / "idx", article=article)
    answer = Answerer(build_index(local), local).answer("Who wrote the article?")
    assert not any("Photo" in c.text for c in answer.citations), answer.text


@pytest.mark.parametrize(
    ("question", "meta"),
    [
        ("What is the headline of the article?", "title"),
        ("What's the title?", "title"),
        ("What title did Assad hold?", ""),
        ("Who wrote the article?", "credit"),
        ("Who is the author?", "credit"),
        ("What does the author of the report say?", "credit"),
        ("What did the author of the letter say about Assad?", ""),
        ("Which programs does the author point to?", ""),
        ("Which sci-fi author started the movement?", ""),
        ("When was the story last updated?", "date"),
        ("When was this page revised?", "date"),
        ("When was the treaty revised?", ""),  # not a word of the article's title
        ("When was Assad revised?", ""),
    ],
)
def test_only_questions_about_the_document_itself_take_the_meta_route(
    answerer: Answerer, question: str, meta: str
) -> None:
    assert make_query(SentenceTable(answerer.index), question, []).meta == meta


def test_a_pronoun_sentence_brings_its_antecedent(answerer: Answerer) -> None:
    eager = Answerer(answerer.index, answerer.settings.with_overrides(min_confidence=0.0))
    answer = eager.answer("Which US official spoke to the UN Security Council?")
    assert answer.citations[-1].text.startswith("He told")
    assert "Kerry" in " ".join(c.text for c in answer.citations)


def test_what_about_does_not_repeat_an_answer_that_lacks_its_subject(
    answerer: Answerer,
) -> None:
    eager = Answerer(answerer.index, answerer.settings.with_overrides(min_confidence=0.0))
    first = eager.answer("What did John Kerry say about the strikes?")
    second = eager.answer("What about Lavrov?", [Turn(first.question, first)])
    assert second.citations[0].sentence_id != first.citations[0].sentence_id
    assert "Lavrov" in second.citations[0].text


def test_where_was_he_skips_the_answer_that_named_no_place(answerer: Answerer) -> None:
    eager = Answerer(answerer.index, answerer.settings.with_overrides(min_confidence=0.0))
    first = eager.answer("Who is Khaled Khoja?")
    second = eager.answer("Where was he?", [Turn(first.question, first)])
    assert "New York" in second.citations[0].text


def test_what_did_he_say_next_cites_the_sentence_that_follows(answerer: Answerer) -> None:
    eager = Answerer(answerer.index, answerer.settings.with_overrides(min_confidence=0.0))
    first = eager.answer("What did Kerry tell the United Nations Security Council?")
    second = eager.answer("What did he say next?", [Turn(first.question, first)])
    before, after = first.citations[-1], second.citations[0]
    assert (after.paragraph, after.sentence) in {
        (before.paragraph, before.sentence + 1),
        (before.paragraph + 1, 1),
    }
    assert second.confidence == first.confidence


def test_a_bare_why_cites_another_sentence(answerer: Answerer) -> None:
    eager = Answerer(answerer.index, answerer.settings.with_overrides(min_confidence=0.0))
    first = eager.answer("How many civilians were killed?")
    second = eager.answer("Why?", [Turn(first.question, first)])
    assert second.citations[0].sentence_id != first.citations[0].sentence_id


def test_other_articles_work_too(tmp_path: Path, settings: object) -> None:
    from bot.settings import settings_from_env

    article = tmp_path / "other.txt"
    article.write_text(
        "City council approves new bridge\n\nUpdated March 3, 2021\n\n"
        "The city council voted 7 to 2 on Tuesday to build a new bridge over the Elm River.\n\n"
        'The bridge will cost $40 million and open in 2024, Mayor Jane Ortiz said. "It connects '
        'two halves of our city," she added.\n\nCritics said the money should go to schools.\n',
        "utf-8",
    )
    local = settings_from_env(index_dir=tmp_path / "idx", article=article)
    index = build_index(local)
    other = Answerer(index, local)
    assert "$40 million" in other.answer("How much will the bridge cost?").text
    assert not other.answer("How tall is the Eiffel Tower?").answered
    assert json.dumps(other.answer("What river does it cross?").to_json())
    # the ranking alone, whatever the confidence
    eager = Answerer(index, local.with_overrides(min_confidence=0.0))
    assert "7 to 2" in eager.answer("How did the council vote?").text
    assert "Ortiz" in eager.answer("Who is the mayor?").text


MANIFESTO = """The Harbour Manifesto

Written by  Ann Quay
     Revised 01/06/94

The harbour will be run by its users. Ferries will leave every hour.
"""


def test_a_document_named_by_its_title_word_gives_its_dateline(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(MANIFESTO, tmp_path, settings)
    answer = answerer.answer("When was the manifesto revised?")
    assert answer.answered and "01/06/94" in answer.citations[0].text
    table = SentenceTable(answerer.index)
    assert make_query(table, "When was the manifesto revised?", []).meta == "date"
    assert make_query(table, "When was the ferry revised?", []).meta == ""


class UnmadeDocuments(Sequence[Document]):
    """Documents that refuse to be made whole: over an archive, each takes milliseconds."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("a document was made whole")


def test_a_title_word_is_looked_up_without_making_any_document(
    tmp_path: Path, settings: Settings
) -> None:
    index = answerer_of(MANIFESTO, tmp_path, settings).index
    table = SentenceTable(dataclasses.replace(index, documents=UnmadeDocuments(1)))
    assert make_query(table, "When was the manifesto revised?", []).meta == "date"
    assert make_query(table, "When was the ferry revised?", [], document=0).meta == ""


CLUB = """The Chess Club

Members rarely play on Sundays. There is a simple reason for this: the hall is closed then.
The club was founded by Ada Marsh in 1921.
"""


def test_a_why_answered_by_the_next_sentence_cites_it_too(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(CLUB, tmp_path, settings, min_confidence=0.0)
    answer = answerer.answer("Why do members rarely play on Sundays?")
    texts = [c.text for c in answer.citations]
    assert texts[0] == "Members rarely play on Sundays."
    assert texts[1].startswith("There is a simple reason for this")
    founded = answerer.answer("Who founded the club?")
    assert len(founded.citations) == 1  # it names him itself: nothing follows on


BORN = """The Boy

The boy was born in Sudan. He builds clocks at home.
"""


MINISTERS = """Talks in New York

Kerry and Lavrov met on Wednesday. Lavrov said the talks went well.

Russian Foreign Minister Sergei Lavrov spoke to reporters afterwards.
"""


def test_a_first_name_question_cites_the_sentence_that_gives_it(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(MINISTERS, tmp_path, settings, min_confidence=0.0)
    answer = answerer.answer("What is Lavrov's first name?")
    cited = answer.citations[0]
    assert cited.text == "Russian Foreign Minister Sergei Lavrov spoke to reporters afterwards."
    assert cited.answer_span is not None
    assert "Sergei" in cited.text[cited.answer_span[0] : cited.answer_span[1]]
    assert not answerer.answer("What is Kerry's first name?").answered  # never given


def test_a_birth_question_is_refused_when_no_sentence_tells_the_birth(
    tmp_path: Path, settings: Settings
) -> None:
    club = answerer_of(CLUB, tmp_path / "club", settings, min_confidence=0.0)
    assert club.answer("When was the club founded?").answered  # it tells a year
    assert not club.answer("When was Ada Marsh born?").answered  # but of no birth
    answerer = answerer_of(BORN, tmp_path / "born", settings, min_confidence=0.0)
    where = answerer.answer("Where was the boy born?")
    assert where.answered and where.citations[0].text == "The boy was born in Sudan."
