from collections.abc import Sequence

from bot.types import Answer, Document, Turn
from training.__main__ import FOLDS, EagerLastTurn, assign_folds
from training.datasets import Entry


class Recorder:
    """A stand-in answerer that remembers the turns it was asked."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[str] = []

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        self.asked.append(question)
        return Answer(question=question, text=self.name, answered=False)


def test_the_follow_ups_bar_sees_earlier_turns_as_a_user_does() -> None:
    as_seen, eager = Recorder("as seen"), Recorder("eager")
    answerer = EagerLastTurn(as_seen, eager, last=2)  # type: ignore[arg-type]
    history: list[Turn] = []
    for question in ("Who is Khoja?", "Where was he?", "Why?"):
        history.append(Turn(question, answerer.answer(question, history)))
    assert as_seen.asked == ["Who is Khoja?", "Where was he?"]
    assert eager.asked == ["Why?"]


def test_an_article_and_its_paraphrases_fall_in_one_fold_the_folds_of_the_documents() -> None:
    document = Document(source="x", title="x", text="x", sha256="", paragraphs=())
    kinds = [("news", f"n{i}") for i in range(4)] + [("squad", f"s{i}") for i in range(9)]
    alone = [Entry(name, kind, document, []) for kind, name in kinds]
    paraphrases = [Entry(name, "para", document, []) for kind, name in kinds if kind == "squad"]
    folds = assign_folds(alone + paraphrases)
    assert folds == assign_folds(alone)
    assert set(folds.values()) == set(range(FOLDS))
