import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import Answerer
from bot.evaluate import evaluate, faithfulness, load_items
from bot.guard import common_words, faithful
from bot.index import ArticleIndex
from bot.settings import Settings
from bot.types import Answer, Turn
from tests.conftest import SHARED_EVAL
from tests.fake_llm import ScriptedChat

FLIGHTS_QUESTION = "How many flights did the Russian jets conduct?"


def llm_answer(
    article_index: ArticleIndex, settings: Settings, chat: ScriptedChat, question: str
) -> Answer:
    return Answerer(article_index, settings, chat).answer(question)


def test_a_supported_sentence_is_delivered_with_its_verbatim_citation(
    article_index: ArticleIndex, settings: Settings, answerer: Answerer
) -> None:
    chat = ScriptedChat(replies=["The Russian jets conducted 20 flights in Syria [1]."])
    answer = llm_answer(article_index, settings, chat, FLIGHTS_QUESTION)
    extractive = answerer.answer(FLIGHTS_QUESTION)
    assert answer.generator == "llm" and answer.answered
    assert answer.text.startswith("The Russian jets conducted 20 flights in Syria [1]")
    assert answer.citations == extractive.citations  # exactly what retrieval chose
    sentences = {s.text for s in article_index.document.sentences}
    assert all(c.text in sentences for c in answer.citations)
    system = chat.calls[0][0].text
    assert "[1] " + extractive.citations[0].text in system


@pytest.mark.parametrize(
    "reply",
    [
        "The Russian jets conducted 2 flights in Syria [1].",
        "They flew from Paris [1].",
        "NOT IN ARTICLE",
        "",
        "[[[[ 1 ]]]] ....",
    ],
)
def test_an_unsupported_or_empty_reply_falls_back_to_the_extractive_answer(
    article_index: ArticleIndex, settings: Settings, answerer: Answerer, reply: str
) -> None:
    chat = ScriptedChat(replies=[reply])
    answer = llm_answer(article_index, settings, chat, FLIGHTS_QUESTION)
    assert answer.generator == "fallback"
    assert answer.text == answerer.answer(FLIGHTS_QUESTION).text
    assert "2 flights" not in answer.text and "Paris" not in answer.text


def test_a_kept_sentence_is_delivered_and_a_wrong_one_beside_it_is_not(
    article_index: ArticleIndex, settings: Settings
) -> None:
    chat = ScriptedChat(
        replies=["The Russian jets conducted 20 flights in Syria [1]. They also bombed Paris [1]."]
    )
    answer = llm_answer(article_index, settings, chat, FLIGHTS_QUESTION)
    assert answer.generator == "llm"
    assert "Paris" not in answer.text
    assert [c.kept for c in answer.claims] == [True, False]


def test_an_unanswerable_question_never_reaches_the_llm(
    article_index: ArticleIndex, settings: Settings
) -> None:
    chat = ScriptedChat(replies=["The capital of France is Paris [1]."])
    answer = llm_answer(article_index, settings, chat, "What is the capital of France?")
    assert not answer.answered and answer.citations == ()
    assert chat.calls == []


def test_a_slow_llm_times_out_to_the_extractive_answer(
    article_index: ArticleIndex, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ScriptedChat(replies=["The Russian jets conducted 20 flights [1]."], delay_seconds=3)
    quick = replace(settings, llm_timeout_seconds=0.2)
    with caplog.at_level(logging.WARNING):
        answer = llm_answer(article_index, quick, chat, FLIGHTS_QUESTION)
    assert answer.generator == "fallback" and answer.answered
    assert "no reply within 0.2 s" in caplog.text


def test_a_failing_llm_is_logged_and_answered_around(
    article_index: ArticleIndex, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ScriptedChat(error="connection refused by 127.0.0.1:9")
    with caplog.at_level(logging.WARNING):
        answer = llm_answer(article_index, settings, chat, FLIGHTS_QUESTION)
    assert answer.generator == "fallback" and answer.answered
    assert "connection refused" in caplog.text


def test_a_follow_up_is_condensed_by_the_llm_when_the_rewrite_is_faithful(
    article_index: ArticleIndex, settings: Settings, answerer: Answerer
) -> None:
    first = answerer.answer("What did Khaled Khoja say about the strikes?")
    history = [Turn(first.question, first)]
    rewrite = "How many civilians did Khoja say died?"
    chat = ScriptedChat(replies=[rewrite, "NOT IN ARTICLE"])
    answer = Answerer(article_index, settings, chat).answer(
        "How many civilians did he say died?", history
    )
    assert answer.resolved_question == rewrite
    assert "36" in " ".join(c.text for c in answer.citations)


@pytest.mark.parametrize(
    "rewrite",
    ["What did Khoja say about Paris?", "Khoja said 36 civilians died.", ""],
)
def test_an_unfaithful_rewrite_is_ignored_for_the_core_rules(
    article_index: ArticleIndex, settings: Settings, answerer: Answerer, rewrite: str
) -> None:
    first = answerer.answer("What did Khaled Khoja say about the strikes?")
    history = [Turn(first.question, first)]
    chat = ScriptedChat(replies=[rewrite, "NOT IN ARTICLE"])
    answer = Answerer(article_index, settings, chat).answer(
        "How many civilians did he say died?", history
    )
    assert (
        answer.resolved_question
        == answerer.answer("How many civilians did he say died?", history).resolved_question
    )


# --- the bundled SmolLM2 model, in process ---------------------------------------------


def test_the_real_model_answers_and_every_delivered_sentence_is_supported(
    llm_answerer: Answerer,
) -> None:
    answer = llm_answerer.answer("Which group did the areas' rebels operate under?")
    assert answer.answered and answer.generator in ("llm", "fallback")
    sentences = {s.text for s in llm_answerer.index.document.sentences}
    assert all(c.text in sentences for c in answer.citations)
    common = common_words(llm_answerer.index.document.text).__contains__
    for claim in answer.claims:
        if claim.kept:
            assert faithful(claim.text, claim.support, common)


@pytest.mark.skipif(not SHARED_EVAL.is_dir(), reason="../shared/eval is not beside the project")
@pytest.mark.parametrize("name", ["visible_qa.jsonl", "visible_chat.jsonl"])
def test_on_the_visible_set_the_guard_lets_nothing_unsupported_through(
    llm_answerer: Answerer, answerer: Answerer, name: str
) -> None:
    items = load_items(Path(SHARED_EVAL / name))
    with_llm, answers = evaluate(llm_answerer, items)
    extractive, _ = evaluate(answerer, items)
    assert with_llm.correct >= extractive.correct
    assert with_llm.refused >= extractive.refused
    assert with_llm.precision >= extractive.precision
    report = faithfulness(answers, llm_answerer.index.document.text)
    assert report.delivered_faithful == report.delivered
    # the model does make mistakes, and the guard is what keeps them out
    assert report.drafted_faithful < report.drafted
    assert any(not c.kept for a in answers for c in a.claims)
