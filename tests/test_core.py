import pytest

from bot.core import Answerer, validate_question
from bot.errors import InputError
from bot.types import Turn


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("x" * 100_000, "too long"),
        ("bad\x00byte", "not text"),
        ("bad\x7fdelete", "not text"),
        ("a C1 \x9b[2J escape", "not text"),
        ("next\x85line", "not text"),
        ("replacement \ufffd char", "not text"),
        (b"bytes", "must be text"),
    ],
)
def test_questions_that_cannot_be_asked(question: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_question(question, 1000)


def test_questions_are_tidied() -> None:
    assert validate_question("  Who   is\nCarter? ", 1000) == "Who is Carter?"


def test_answer_uses_the_history(answerer: Answerer) -> None:
    first = answerer.answer("What did Khaled Khoja say about the strikes?")
    follow = answerer.answer("How many civilians did he say died?", [Turn(first.question, first)])
    assert "Khoja" in follow.resolved_question
    assert "36" in follow.text
    alone = answerer.answer("How many civilians did he say died?")
    assert alone.resolved_question == "How many civilians did he say died?"


def test_answer_rejects_bad_input(answerer: Answerer) -> None:
    with pytest.raises(InputError):
        answerer.answer("   ")


def test_answers_use_one_blas_thread(answerer: Answerer) -> None:
    from threadpoolctl import threadpool_info

    assert answerer is not None
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and set(blas) == {1}


def test_the_chain_is_traced_as_one_run(answerer: Answerer) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    names: list[str] = []

    class Runs(BaseCallbackHandler):
        def on_chain_start(self, serialized: object, inputs: object, **kwargs: object) -> None:
            names.append(str(kwargs.get("name")))

    question = {"question": "Who is Kerry?", "history": (), "document": None}
    answer = answerer.chain.invoke(question, {"callbacks": [Runs()]})
    assert names == ["articlebot"]
    assert answer == answerer.answer("Who is Kerry?")
