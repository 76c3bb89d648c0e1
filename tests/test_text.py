import pytest

from bot.text import (
    NAME_PART,
    QuestionType,
    content_terms,
    names,
    names_at_length,
    offers_answer,
    question_type,
    stem,
    tells_birth,
    term_set,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("heads", "head"),
        ("stated", "statement"),
        ("Russian", "Russia"),
        ("warned", "warning"),
        ("controlled", "control"),
        ("killed", "kill"),
    ],
)
def test_stems_meet(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_acronyms_meet_their_spelled_out_form() -> None:
    assert "acr:us" in term_set("the United States said")
    assert "acr:un" in set(content_terms("Who spoke to the UN?"))
    assert "acr:un" in term_set("He told the United Nations Security Council")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many flights were there?", "number"),
        ("How old is he?", "age"),
        ("How tall is the tower?", "measure"),
        ("When did it start?", "date"),
        ("On what date did he speak?", "date"),
        ("Who said it?", "person"),
        ("Where did he go?", "place"),
        ("What did he say?", "open"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question).kind == kind


def test_a_number_question_needs_a_number_about_the_thing_counted() -> None:
    kind = question_type("How many civilians were killed?")
    assert offers_answer(kind, "36 civilians had been killed.", "How many civilians were killed?")
    assert not offers_answer(kind, "20 flights were flown.", "How many civilians were killed?")
    assert not offers_answer(kind, "Civilians were killed.", "How many civilians were killed?")


def test_age_and_date_answers() -> None:
    assert offers_answer(
        question_type("How old is Carter?"), "Carter, 61, said.", "How old is Carter?"
    )
    assert not offers_answer(
        question_type("How old is Carter?"), "Carter said so.", "How old is Carter?"
    )
    assert offers_answer(
        question_type("When did he speak?"), "He spoke on September 30, 2015.", "When did he speak?"
    )


@pytest.mark.parametrize(
    "sentence", ["Revised 01/06/94", "It was signed on 1/6/1994.", "Updated 2015-10-01 by staff."]
)
def test_numeric_dates_answer_when(sentence: str) -> None:
    question = "When was it revised?"
    assert offers_answer(question_type(question), sentence, question)


@pytest.mark.parametrize("sentence", ["Version 1/2 of the plan.", "Pages 12-15 were missing."])
def test_fractions_and_ranges_are_not_dates(sentence: str) -> None:
    question = "When was it revised?"
    assert not offers_answer(question_type(question), sentence, question)


def test_a_middle_initial_stays_in_the_name_but_an_abbreviation_does_not_join() -> None:
    assert names("Nixon named William E. Simon as administrator.") == ["Nixon", "William E. Simon"]
    assert names("J. K. Rowling wrote it.") == ["J. K. Rowling"]
    assert "Simon" not in names("The U.S. Army met George W. Bush.")
    assert "George W. Bush" in names("The U.S. Army met George W. Bush.")
    assert not any(n.startswith("S.") for n in names("The U.S. Army and U.S. President Obama."))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Yesterday Mohamed received VIP attention at Google.", ["Mohamed", "VIP", "Google"]),
        ("Allegedly, Rathbun was questioned.", ["Rathbun"]),
        ("In the Kowloon East constituency, Wilson Or won.", ["Kowloon East", "Wilson Or"]),
        ("What does the US want Assad to do?", ["US", "Assad"]),
        ("She chose the hashtag #IStandWithAhmed on @Twitter.", []),
        ("Italy, France and Emily Kelly agreed.", ["Italy", "France", "Emily Kelly"]),
        ("Demosisto's Nathan Law won.", ["Demosisto", "Nathan Law"]),
        ("Russia’s Sergei Lavrov spoke.", ["Russia", "Sergei Lavrov"]),
    ],
)
def test_names_leave_out_what_opens_a_sentence_and_hashtags(
    sentence: str, expected: list[str]
) -> None:
    assert names(sentence) == expected


def test_a_what_question_about_what_someone_did_does_not_want_a_person() -> None:
    assert question_type("What had Secretary of State Kissinger negotiated?").kind == "open"
    assert question_type("Which former minister resigned?").kind == "person"
    assert question_type("What official spoke first?").kind == "person"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was Zhu Shijie born?", "date"),
        ("In what year was he born?", "date"),
        ("What is her date of birth?", "date"),
        ("Where was he born?", "place"),
    ],
)
def test_a_birth_question_wants_a_birth(question: str, kind: str) -> None:
    wanted = question_type(question)
    assert wanted.kind == kind
    assert not offers_answer(wanted, "He founded the club in Leeds in 1921.", question)
    assert offers_answer(wanted, "He was born in Leeds on 3 May 1890.", question)
    assert tells_birth("The mathematician Zhu Shijie (1249–1314) solved equations.")
    assert not tells_birth("The flood of 1421 moved the river.")


@pytest.mark.parametrize(
    "question",
    ["What is Lavrov's first name?", "What was the full name of Khoja?", "What is Ada's surname?"],
)
def test_a_name_part_question_wants_the_name_at_more_length(question: str) -> None:
    wanted = question_type(question)
    assert (wanted.kind, wanted.focus) == ("name", NAME_PART)
    said = "Kerry met Sergei Lavrov, Khaled Khoja and Ada Marsh in New York."
    assert offers_answer(wanted, said, question)
    assert names_at_length(said, question)
    # the name alone, or only other people's names, give no first name
    assert not offers_answer(wanted, "Lavrov, Khoja and Ada met John Kerry in New York.", question)


def test_a_question_that_only_mentions_a_birth_is_no_birth_question() -> None:
    assert question_type("After Braddock was born, who led the army?").focus == ""
    assert question_type("Who was the most famous person born in Warsaw?").focus == ""


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("How old is Daniel Montalvo?", "Daniel Montalvo"),
        ("How old is Ahmed's father?", "father"),
        ("How old was Chopin when he moved to Warsaw?", "Chopin"),
        ("How old were the fossils found in China?", ""),
        ("How old is The Beatles drummer?", ""),
    ],
)
def test_how_old_names_whose_age_it_asks(question: str, subject: str) -> None:
    assert question_type(question) == QuestionType("age", subject=subject)
