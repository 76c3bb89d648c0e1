from bot.speakers import pronoun_in, shares_last_name


def test_pronouns_after_a_mention_say_he_or_she() -> None:
    mentions = [
        ("Jafari said she felt Mohamed had been subject to Islamophobia.", ""),
        ("Amneh Jafari, a teacher, gave her account.", "She was upset."),
    ]
    assert pronoun_in(mentions, "Amneh Jafari") == "she"
    assert pronoun_in([("Khan said he had left.", "")], "Ahmed Khan") == "he"


def test_a_title_before_the_name_counts() -> None:
    assert pronoun_in([("The school spoke to Mrs. Jafari.", "")], "Jafari") == "she"
    assert pronoun_in([("The school spoke to Mr Jafari.", "")], "Jafari") == "he"


def test_mixed_or_missing_evidence_says_nothing() -> None:
    assert pronoun_in([("Park met Lee, and he thanked her.", "")], "Park") == ""
    assert pronoun_in([("Park spoke.", "Then the rain came.")], "Park") == ""
    assert pronoun_in([("Nothing here.", "")], "Park") == ""
    assert pronoun_in([], "") == ""
    assert pronoun_in([("Samuel said he had left.", "")], "Manju Sam") == ""  # not her name


def test_only_a_next_sentence_that_opens_with_a_pronoun_counts() -> None:
    assert pronoun_in([("Park spoke.", "He was tired.")], "Park") == "he"
    assert pronoun_in([("Park spoke.", "The minister thanked her.")], "Park") == ""


def test_someone_else_with_the_same_last_name_is_found() -> None:
    couple = [("Thomas Sam, 42, and his wife Manju Sam, 36, are on trial.", "")]
    assert shares_last_name(couple, "Manju Sam")
    alone = [("Psychology major Amneh Jafari heard of it.", "Jafari said she felt it.")]
    assert not shares_last_name(alone, "Amneh Jafari")
    assert not shares_last_name([], "Amneh Jafari")
