from bot.followup import (
    bare_ask,
    continues,
    gives_reason,
    moves_on,
    resolve_followup,
    swapped_subject,
)
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


def test_a_person_named_after_the_pronoun_is_someone_else() -> None:
    # "he" before "Lavrov" is not Lavrov: it is the person the conversation is about
    history = [turn("Who is Kerry?")]
    got = resolve_followup("What had he promised Lavrov?", history, is_person)
    assert got == "What had Kerry promised Lavrov?"
    said = "Did Carter say he would resign?"
    assert resolve_followup(said, history, is_person) == said


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


def test_what_about_swaps_a_name_of_the_same_kind() -> None:
    history = [turn("What did Twitter offer Kerry?")]
    assert resolve_followup("What about Facebook?", history, is_person) == (
        "What did Facebook offer Kerry?"
    )


def test_and_with_a_pronoun_swaps_then_resolves_it() -> None:
    history = [turn("How old is Kerry?")]
    assert resolve_followup("And his wife?", history, is_person) == "How old is Kerry's wife?"


def test_an_ordinal_replaces_an_ordinal() -> None:
    history = [turn("Which country came second in the competition?")]
    assert resolve_followup("And third?", history, is_person) == (
        "Which country came third in the competition?"
    )


def test_the_second_one_replaces_the_ordinal_alone() -> None:
    history = [turn("Who scored Belgium's first goal?")]
    assert resolve_followup("And the second one?", history, is_person) == (
        "Who scored Belgium's second goal?"
    )
    # with more than the ordinal, the subject goes in whole
    got = resolve_followup("And his second?", [turn("Who set up Lukaku's first goal?")], is_person)
    assert "his second goal" in got and "first" not in got


def test_it_is_the_thing_the_answer_names_after_which_x() -> None:
    cited = "On April 12, 1981, Space Shuttle Columbia lifted off from Kennedy Space Center."
    history = [turn("Which shuttle flew the first mission?", cited)]
    assert resolve_followup("When was it lost?", history, is_person) == (
        "When was Space Shuttle Columbia lost?"
    )
    assert resolve_followup("What was its last mission?", history, is_person) == (
        "What was Space Shuttle Columbia's last mission?"
    )
    # an answer naming no such thing leaves "it" to the last question
    history = [turn("Which shuttle flew the first mission?", "It was a cold morning.")]
    got = resolve_followup("When was it lost?", history, is_person)
    assert got == "When was it lost? Which shuttle flew the first mission?"


def test_a_phrase_of_the_same_shape_is_replaced() -> None:
    history = [turn("Who was Man of the Match in the Sweden game?")]
    assert resolve_followup("What about in the Belgium game?", history, is_person) == (
        "Who was Man of the Match in the Belgium game?"
    )


def test_a_long_and_question_is_not_elliptical() -> None:
    history = [turn("Where will next year's competition be held?")]
    got = resolve_followup("And after that, how often will it move?", history, is_person)
    assert got.startswith("And after that, how often will it move?")
    assert got.endswith("Where will next year's competition be held?")


def test_a_thing_pronoun_carries_the_previous_question_along() -> None:
    history = [turn("Where will Space Shuttle Endeavour go after it retires?")]
    got = resolve_followup("When does it launch?", history, is_person)
    assert got == "When does it launch? Where will Space Shuttle Endeavour go after it retires?"


def test_moving_on_is_recognised() -> None:
    assert moves_on("What did he say next?") and moves_on("Who else was elected?")
    assert not moves_on("What did he say?")


def test_after_a_who_question_he_is_the_one_the_answer_names() -> None:
    history = [turn("Who replaced Carter?", "Khoja, the head of the coalition, said so.")]
    assert resolve_followup("What did he do later?", history, is_person) == (
        "What did Khoja do later?"
    )


def test_after_who_is_he_is_the_one_asked_about() -> None:
    history = [turn("Who is Nathan Law?", "Demosisto's Nathan Law earned a surprise victory.")]
    assert resolve_followup("How many votes did he get?", history, is_person) == (
        "How many votes did Nathan Law get?"
    )


def test_a_lone_name_in_the_question_is_the_antecedent_when_nothing_better() -> None:
    history = [turn("When was Gloria taken to the emergency department?")]
    got = resolve_followup("What state was she in by then?", history, is_person)
    assert got == "What state was Gloria in by then?"


def test_an_unresolved_pronoun_carries_the_previous_question_along() -> None:
    history = [turn("what did the sister ask him to do?")]
    got = resolve_followup("What did he answer?", history, is_person)
    assert got == "What did he answer? what did the sister ask him to do?"


def test_a_question_opening_with_and_leans_on_the_last() -> None:
    history = [turn("Which crop is mainly sensitive to ozone?")]
    got = resolve_followup("And which one to heat?", history, is_person)
    assert got == "And which one to heat? Which crop is mainly sensitive to ozone?"


def test_a_wh_word_and_a_noun_lean_on_the_last() -> None:
    history = [turn("Where was Montalvo taken instead of a hotel?")]
    got = resolve_followup("Which floor?", history, is_person)
    assert got == "Which floor? Where was Montalvo taken instead of a hotel?"
    standalone = resolve_followup("Which floor was Montalvo taken to?", history, is_person)
    assert standalone == "Which floor was Montalvo taken to?"
    history = [turn("Who did Yau Wai-ching defeat?")]
    for question in ("By what margin?", "On what grounds?", "Over what period?"):
        got = resolve_followup(question, history, is_person)
        assert got == f"{question} Who did Yau Wai-ching defeat?"


def test_a_bare_why_asks_past_the_answer() -> None:
    assert moves_on("Why?") and moves_on("and why not?") and moves_on("How come?")
    assert not moves_on("Why did Russia strike?")


def test_swapped_subject_names_what_what_about_asks_about() -> None:
    assert swapped_subject("What about Facebook?") == "Facebook"
    assert swapped_subject("What did Facebook offer?") == ""


def test_say_or_do_next_continues_but_other_questions_do_not() -> None:
    assert continues("What did he say next?") and continues("What happened then?")
    assert continues("What did he do next?") and continues("Where did she go after that?")
    assert not continues("What did he do in 1990?") and not continues("Who else spoke?")


def test_a_bare_why_when_or_where_says_what_it_wants() -> None:
    assert [bare_ask(q) for q in ("Why?", "and why not?", "How come?", "When?", "So where?")] == [
        "reason",
        "reason",
        "reason",
        "date",
        "place",
    ]
    assert bare_ask("Why did Russia strike?") == "" and bare_ask("When did it open?") == ""
    assert bare_ask("How old was he?") == bare_ask("And how old is she then?") == "age"
    assert bare_ask("How old was he when he died?") == ""


def test_a_reason_is_told_from_a_time() -> None:
    assert gives_reason("The invasion failed because of a typhoon.")
    assert gives_reason("They were hit hard since they cared for the sick.")
    assert gives_reason("It was cut off to encourage change, in order to end the war.")
    assert not gives_reason("It has grown since 1990.") and not gives_reason("It failed.")


def test_who_was_the_title_asks_who_so_he_is_the_one_the_answer_names() -> None:
    history = [
        turn(
            "Who was the US Secretary of State during the crisis?",
            "By January 1974, US Secretary of State Henry Kissinger had negotiated a withdrawal.",
        )
    ]
    got = resolve_followup("What had he negotiated?", history, is_person)
    assert "Henry Kissinger" in got


def test_after_who_was_one_name_she_is_that_name() -> None:
    history = [
        turn(
            "Who was Sawa according to legend?",
            "According to legend, Sawa was a mermaid living in the Vistula River.",
        )
    ]
    assert resolve_followup("Who fell in love with her?", history, is_person) == (
        "Who fell in love with Sawa?"
    )


def test_her_is_possessive_only_before_a_noun() -> None:
    history = [turn("What did Kerry say?")]
    assert resolve_followup("What was her name?", history, is_person) == "What was Kerry's name?"
    assert resolve_followup("Who met her in Paris?", history, is_person) == (
        "Who met Kerry in Paris?"
    )


def test_a_place_or_a_month_is_never_he() -> None:
    history = [turn("Who besieged Fort William Henry in August 1757?")]
    got = resolve_followup("How many troops did he have?", history, is_person)
    assert "Fort William Henry have" not in got and "August have" not in got
    assert got.endswith("Who besieged Fort William Henry in August 1757?")  # carried along


def test_she_is_not_a_man_the_text_calls_he() -> None:
    pronouns = {"Ahmed Khan": "he", "Amneh Jafari": "she"}.get

    def pronoun_of(name: str) -> str:
        return pronouns(name) or ""

    history = [
        turn("Who is Amneh Jafari?", "Amneh Jafari is a teacher."),
        turn("What did Ahmed Khan build?", "He built a clock."),
    ]
    got = resolve_followup("What did she say?", history, is_person, pronoun_of)
    assert got == "What did Amneh Jafari say?"
    assert resolve_followup("What did she say?", history, is_person) == (
        "What did Ahmed Khan say?"  # a text that does not say: the last person, as before
    )
    history = [turn("Who met Amneh Jafari?", "Ahmed Khan met Amneh Jafari at the school.")]
    assert resolve_followup("What did he say?", history, is_person, pronoun_of) == (
        "What did Ahmed Khan say?"
    )
    assert resolve_followup("What did she say?", history, is_person, pronoun_of) == (
        "What did Amneh Jafari say?"
    )


def test_a_pronoun_becomes_the_name_the_text_goes_by() -> None:
    history = [turn("Who is Amneh Jafari?", "Amneh Jafari is a teacher.")]

    def short_name(name: str) -> str:
        return name.split()[-1]

    got = resolve_followup("What did she say?", history, is_person, short_name=short_name)
    assert got == "What did Jafari say?"
    assert resolve_followup("What did she say?", history, is_person) == (
        "What did Amneh Jafari say?"
    )
