from collections.abc import Sequence

from bot.types import Answer, Turn
from training.__main__ import EagerLastTurn


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
