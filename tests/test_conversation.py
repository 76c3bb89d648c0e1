"""Follow-ups answered from the conversation itself (bot.conversation), end to end."""

from pathlib import Path

from bot.conversation import offers_nothing_new
from bot.settings import Settings
from bot.table import SentenceTable
from bot.text import question_type
from bot.types import Turn
from tests.conftest import answerer_of

TRIP = """The Clock

On Wednesday, the boy and his father will travel to New York. Diplomats there want to meet
him, because his clock made the news around the world.

The boy will not travel to school on Wednesday because the school is closed for snow.
The boy was born in Sudan.
"""


KILN = """The Kiln Report

The first firing failed because the kiln door cracked in the frost. The potters rebuilt the
door in March 2019 at the Leeds workshop. The second firing of the new kiln succeeded.
"""


def test_a_bare_why_or_when_is_answered_by_the_last_sentence_when_it_tells(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(KILN, tmp_path, settings, min_confidence=0.0)

    def follow(first: str, then: str) -> tuple[str, str]:
        answer = answerer.answer(first)
        again = answerer.answer(then, [Turn(first, answer)])
        return answer.citations[-1].text, again.citations[-1].text

    failed, why = follow("How did the first firing end?", "Why?")
    assert "because" in failed and why == failed  # the reason is in the answer itself
    rebuilt, when = follow("What did the potters rebuild?", "When?")
    assert "March 2019" in rebuilt and when == rebuilt
    rebuilt, why = follow("What did the potters rebuild?", "Why?")
    assert why != rebuilt  # it gives no reason: look past it


MILITIA = """The Frontier War

In October 1753 the governor sent the 21-year-old Major Tom Greaves to warn the garrison.
The fighting began at Pine Glen in May 1754, when militiamen under the command of 22-year-old
Tom Greaves ambushed a patrol.
"""


def test_how_old_was_he_is_answered_by_the_age_in_the_last_answer(
    tmp_path: Path, settings: Settings
) -> None:
    # the article gives him two ages; the one the reader means is the one just cited
    answerer = answerer_of(MILITIA, tmp_path, settings, min_confidence=0.0)
    first = answerer.answer("Who ambushed a patrol at Pine Glen?")
    assert "22-year-old" in first.citations[-1].text
    age = answerer.answer("How old was he?", [Turn(first.question, first)])
    assert age.citations[-1].text == first.citations[-1].text
    span = age.citations[-1].answer_span
    assert span is not None and age.citations[-1].text[span[0] : span[1]].startswith("22")


CLINIC = """The Fall

The climber was taken to the emergency department after the fall. Doctors set his leg.
His sister was taken to St Mary's Hospital on Tuesday for a check-up.
"""


def test_which_hospital_skips_a_last_answer_that_names_none(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(CLINIC, tmp_path, settings, min_confidence=0.0)

    def follow(first: str) -> tuple[str, str]:
        answer = answerer.answer(first)
        again = answerer.answer("Which hospital was it?", [Turn(first, answer)])
        return answer.citations[-1].text, (again.citations or answer.citations)[-1].text

    when, which = follow("Why was the climber taken to the emergency department?")
    assert when.startswith("The climber") and which != when  # it names no hospital
    # one that names a hospital stays a candidate
    first = answerer.answer("Where was his sister taken on Tuesday?")
    assert "St Mary's" in first.citations[-1].text
    table = SentenceTable(answerer.index)
    resolved = "Which hospital was it? Where was his sister taken on Tuesday?"
    kind = question_type(resolved)
    assert not offers_nothing_new(table, kind, resolved, [Turn(first.question, first)])


BAKERY = """The Bakery

Maria Lopez opened the bakery on Elm Street in 2009. She bakes every morning.

Ahmed Khan, 35, joined Maria Lopez at the bakery in 2015.
"""


def test_an_age_is_cited_only_as_the_age_of_whom_it_is_asked(
    tmp_path: Path, settings: Settings
) -> None:
    # the article gives Khan's age, never Lopez's: asked directly or as a follow-up, hers
    # is refused rather than answered with his
    answerer = answerer_of(BAKERY, tmp_path, settings, min_confidence=0.0)
    his = answerer.answer("How old is Ahmed Khan?")
    assert his.answered and "35" in his.citations[-1].text
    assert not answerer.answer("How old is Maria Lopez?").answered
    first = answerer.answer("Who did Ahmed Khan join at the bakery?")
    assert "Ahmed Khan, 35" in first.citations[-1].text
    hers = answerer.answer("How old is she?", [Turn(first.question, first)])
    assert hers.resolved_question == "How old is Maria Lopez?" and not hers.answered


def test_a_bare_why_takes_the_reason_beside_the_last_answer(
    tmp_path: Path, settings: Settings
) -> None:
    answerer = answerer_of(TRIP, tmp_path, settings, min_confidence=0.0)
    first = answerer.answer("Where will the boy travel on Wednesday?")
    assert first.citations[-1].text.startswith("On Wednesday")
    why = answerer.answer("Why?", [Turn(first.question, first)])
    assert why.answered and "because his clock made the news" in why.citations[-1].text
