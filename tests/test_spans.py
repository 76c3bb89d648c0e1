import math
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.spans import (
    NEAR_CHARS,
    answer_span,
    candidate_spans,
    nearness,
    nearness_each,
    tells_age_of,
)
from bot.text import STOPWORDS, WH_WORDS, question_type, stem, words

CASES = [
    (
        "How many flights did the jets conduct?",
        "However, the Russian Defence Ministry said its jets conducted 20 flights in Syria.",
        "20 flights",
    ),
    (
        "When did Carter speak?",
        "Carter spoke at the Pentagon on September 30, 2015.",
        "September 30, 2015",
    ),
    (
        "How old is Daniel Montalvo?",
        "Rathbun, 50, spoke to the press as Daniel Montalvo, 20, a member, was arrested.",
        "20",
    ),
    ("Where is Khoja?", "Khoja, who is in New York to attend a meeting, said so.", "New York"),
    (
        "Who heads the coalition?",
        "The coalition is headed by Khaled Khoja, its president.",
        "Khaled Khoja",
    ),
    (  # the number that counts what is asked about, not the one nearest the verb
        "How many civilians were killed?",
        "He declared that 36 civilians had been killed in five different areas.",
        "36 civilians",
    ),
    (
        "In how many areas were civilians killed?",
        "He declared that 36 civilians had been killed in five different areas.",
        "five different areas",
    ),
    (
        "How much will the bridge cost?",
        "The bridge will cost $40 million and open in 2024.",
        "$40 million",
    ),
    (  # the name that holds the one asked about, not the first name in the sentence
        "What is Lavrov's first name?",
        "United States Secretary John Kerry and Foreign Minister Sergey Lavrov spoke.",
        "Foreign Minister Sergey Lavrov",
    ),
]


@pytest.mark.parametrize(("question", "sentence", "expected"), CASES)
def test_the_answering_phrase_is_marked(question: str, sentence: str, expected: str) -> None:
    span = answer_span(question_type(question), sentence, question)
    assert span is not None
    assert sentence[span[0] : span[1]] == expected


@pytest.mark.parametrize("question", ["Who is Ashton Carter?", "Who was Sawa?"])
def test_who_someone_is_marks_no_other_name(question: str) -> None:
    sentence = "Ashton Carter, the head of the Pentagon, met Sawa in Warsaw."
    assert answer_span(question_type(question), sentence, question) is None
    for other in ("Who heads the Pentagon?", "Who was Carter's host?"):
        assert answer_span(question_type(other), sentence, other) is not None


def test_open_questions_mark_nothing() -> None:
    question = "What did Carter say about the Russian approach?"
    assert answer_span(question_type(question), "It is doomed to fail, he said.", question) is None


def test_what_the_question_already_holds_is_not_the_answer() -> None:
    question = "What happened on September 30?"
    kind = question_type("When was it?")
    assert candidate_spans(kind, "It happened on September 30.", question) == []


def test_nearness_falls_with_distance_from_the_question_words() -> None:
    sentence = "Montalvo, 19, left. " + "x " * 60 + "Someone else was 45."
    near = nearness(sentence, (10, 12), "How old is Montalvo?")
    far = nearness(sentence, (len(sentence) - 3, len(sentence) - 1), "How old is Montalvo?")
    assert near > 0.7 > far


def test_nearness_of_each_span_is_that_of_the_span_alone() -> None:
    sentence = "Daniel Montalvo, 19, of Ohio, was hurt on May 2 near Columbus, police said."
    question = "How old is Montalvo and where was he hurt?"
    spans = [(17, 19), (24, 28), (0, 6), (len(sentence) - 5, len(sentence) - 1)]
    assert nearness_each(sentence, spans, question) == [
        nearness(sentence, span, question) for span in spans
    ]
    assert nearness_each(sentence, [], question) == []


AGES = [
    ("Daniel Montalvo, 19, a member all his life, was arrested.", "", "Daniel Montalvo", True),
    ("Moxon lied to Daniel, and made a case (not hard with a 19 year-old).", "", "Montalvo", False),
    (
        "Thomas Sam, 42, and his wife Manju Sam, 36, from Sydney, are on trial.",
        "",
        "Manju Sam",
        True,
    ),
    ("Ahmed Mohamed, a 14-year-old boy from Irving, was arrested.", "", "father", False),
    ("His 45-year-old father said he was proud.", "", "father", True),
    ("Thomas Sam, 42, and his wife Manju Sam, 36, are on trial.", "", "wife", True),
    (
        "In 1810 they moved to Warsaw, when he was seven months old.",
        "Chopin was born.",
        "Chopin",
        True,
    ),
    ("In 1810 they moved to Warsaw, when he was seven months old.", "", "Chopin", False),
    ("Gloria developed severe eczema at the age of four months.", "", "Gloria", True),
    ("Ahmed Khan, 35, joined Maria Lopez at the bakery in 2015.", "", "Maria Lopez", False),
    ("Ahmed Khan, 35, joined Maria Lopez at the bakery in 2015.", "", "Ahmed Khan", True),
    ("Militia under 22-year-old George Washington ambushed them.", "", "Washington", True),
    ("Militia under 22-year-old George Washington ambushed Braddock.", "", "Braddock", False),
]


@pytest.mark.parametrize(("sentence", "before", "subject", "expected"), AGES)
def test_an_age_is_told_of_the_person_it_sits_beside(
    sentence: str, before: str, subject: str, expected: bool
) -> None:
    assert tells_age_of(sentence, before, subject) is expected


def _nearness_by_scanning_every_word(sentence: str, span: tuple[int, int], question: str) -> float:
    """The definition, read slowly: the nearest question word that does not start inside."""
    asked = {stem(w) for w in words(question)} - {stem(w) for w in STOPWORDS | set(WH_WORDS)}
    a, b = span
    distances = [
        max(a - m.end(), m.start() - b, 0)
        for m in re.finditer(r"[A-Za-z0-9][\w'’\-]*", sentence)
        if stem(m.group(0)) in asked and not a <= m.start() < b
    ]
    return math.exp(-min(distances, default=math.inf) / NEAR_CHARS)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["mayor", "said", "Quimby", "the", "12", "city", ","]), max_size=30),
    st.data(),
)
def test_nearness_is_the_distance_to_the_nearest_question_word(
    tokens: list[str], data: st.DataObject
) -> None:
    sentence = " ".join(tokens)
    start = data.draw(st.integers(0, len(sentence)))
    end = data.draw(st.integers(start, len(sentence)))
    question = "Who is the mayor of the city?"
    expected = _nearness_by_scanning_every_word(sentence, (start, end), question)
    assert nearness_each(sentence, [(start, end)], question) == [pytest.approx(expected)]


def test_one_long_sentence_of_many_candidate_phrases_is_answered_in_linear_time() -> None:
    """180,000 words with thousands of names and question words: quadratic code took
    minutes and gigabytes (one user's upload stalled everyone's answers)."""
    filler = " ".join(["the mayor said the plan would cost on Tuesday"] * 20_000)
    sentence = f"The mayor of Springfield is Joe Quimby. {filler}."
    started = time.perf_counter()
    answer_span(question_type("Who is the mayor of Springfield?"), sentence, "Who is the mayor?")
    assert time.perf_counter() - started < 5.0
