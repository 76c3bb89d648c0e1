from bot.followup import resolve_followup
from bot.types import Answer, Citation, Turn

PEOPLE = {"Ashton Carter", "Carter", "Kerry", "John Kerry", "Lavrov", "Khoja"}


def is_person(name: str) -> bool:
    return name in PEOPLE


def turn(question: str, cited: str = "", resolved: str = "") -> Turn:
    citations = (Citation(1, "a", 1, 1, cited, 0.5),) if cited else ()
    return Turn(
        question, Answer(question, cited or "x", bool(cited), citations, resolved or question)
    )


def test_without_history_nothing_changes() -> None:
    assert resolve_followup("Where did he speak?", [], is_person) == "Where did he speak?"


def test_a_pronoun_takes_the_person_from_the_last_question() -> None:
    got = resolve_followup("Where did he speak?", [turn("Who is Ashton Carter?")], is_person)
    assert got == "Where did Ashton Carter speak?"


def test_a_possessive_keeps_its_s() -> None:
    got = resolve_followup("What is his position?", [turn("What did Kerry say?")], is_person)
    assert got == "What is Kerry's position?"


def test_the_person_can_come_from_the_answer() -> None:
    history = [
        turn(
            "Who heads the Syrian National Coalition?", "Khoja, the head of the coalition, said so."
        )
    ]
    assert resolve_followup("Where is he?", history, is_person) == "Where is Khoja?"


def test_a_named_person_is_not_overwritten() -> None:
    assert (
        resolve_followup("What did Lavrov tell him?", [turn("Who is Kerry?")], is_person)
        == "What did Lavrov tell him?"
    )


def test_what_about_reasks_about_someone_else() -> None:
    got = resolve_followup(
        "What about Lavrov?", [turn("What did Kerry say about the strikes?")], is_person
    )
    assert got == "What did Lavrov say about the strikes?"


def test_a_bare_question_borrows_the_topic() -> None:
    assert (
        resolve_followup("Why?", [turn("Did Russia warn the US?")], is_person)
        == "Why? Did Russia warn the US?"
    )


def test_chains_use_the_resolved_question() -> None:
    history = [turn("Where did he speak?", resolved="Where did Ashton Carter speak?")]
    assert (
        resolve_followup("When did he speak?", history, is_person)
        == "When did Ashton Carter speak?"
    )
