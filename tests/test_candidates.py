"""Which sentences may answer a question (bot.candidates)."""

from pathlib import Path

from bot.candidates import candidate_positions
from bot.settings import Settings
from bot.table import SentenceTable
from tests.conftest import answerer_of, ask, position_of


def test_candidates_hold_the_answer_and_leave_out_what_is_excluded(table: SentenceTable) -> None:
    question = ask(table, "How many civilians were killed?")
    answer = position_of(table, "36 civilians had been killed")
    assert answer in candidate_positions(table, question)
    assert answer not in candidate_positions(table, question, frozenset({answer}))


def test_how_old_someone_is_has_only_sentences_with_their_age_as_candidates(
    table: SentenceTable,
) -> None:
    assert candidate_positions(table, ask(table, "How old is Ashton Carter?")) == []
    assert candidate_positions(table, ask(table, "At what age did Carter speak?"))


FAQ = """Questions about the kiln

 1. Does the kiln need a chimney?

    No. It vents through the wall fan.

 2. How hot does the kiln get?

    It reaches 1,300 degrees on a long firing.
"""


def candidate_texts(tmp_path: Path, settings: Settings, text: str, question: str) -> list[str]:
    """The candidate sentences for `question` in an index of `text` alone."""
    table = SentenceTable(answerer_of(text, tmp_path, settings).index)
    return [table.sentences[p].text for p in candidate_positions(table, ask(table, question))]


def test_a_question_line_is_never_a_candidate_but_what_follows_it_is(
    tmp_path: Path, settings: Settings
) -> None:
    texts = candidate_texts(tmp_path, settings, FAQ, "Does the kiln need a chimney?")
    assert not any(t.rstrip().endswith("?") for t in texts)
    assert any("It vents through the wall fan." in t for t in texts)


NUMBERED_FAQ = """Questions about the kiln

4.3. The kiln's thermometer seems to read low. What's happening?

The probe sits behind the door, where the air is cooler.

4.4. The glaze crazes on every firing. Can I stop it?

Cool the kiln more slowly.
"""


def test_what_leads_up_to_a_numbered_entrys_question_is_not_a_candidate(
    tmp_path: Path, settings: Settings
) -> None:
    question = "Why does the kiln thermometer read low?"
    texts = candidate_texts(tmp_path, settings, NUMBERED_FAQ, question)
    assert not any("seems to read low" in t or "crazes" in t for t in texts)
    assert "The probe sits behind the door, where the air is cooler." in texts


CLUB_HISTORY = """The Chess Club

The club was founded by Ada Marsh in 1921. She ran it from a room above the bakery.

Ada Marsh was born in Leeds in 1890. Her brother Tom built the first boards.
"""


def test_only_a_sentence_that_tells_a_birth_is_a_candidate_for_a_birth_question(
    tmp_path: Path, settings: Settings
) -> None:
    texts = candidate_texts(tmp_path, settings, CLUB_HISTORY, "When was Ada Marsh born?")
    assert texts == ["Ada Marsh was born in Leeds in 1890."]
    founded = candidate_texts(tmp_path, settings, CLUB_HISTORY, "When was the club founded?")
    assert "The club was founded by Ada Marsh in 1921." in founded
