from collections.abc import Callable

import numpy as np
import pytest

from bot.guard import (
    Guard,
    common_words,
    facts,
    faithful,
    says_not_covered,
    split_draft,
    unsupported_facts,
)
from bot.index import ArticleIndex

FLIGHTS = (
    "However, the Russian Defence Ministry said its jets conducted 20 flights in Syria, "
    "targeting “eight ISIS targets”, including arms, transportation, communications and "
    "control positions."
)
KHOJA = (
    "Khoja, the head of the Syrian National Coalition stated on his Twitter feed that "
    '"all the targets in today\'s Russian air strikes over northern Homs were civilians".'
)


def never_common(word: str) -> bool:
    return False


@pytest.fixture(scope="module")
def guard_for(article_index: ArticleIndex) -> Callable[..., Guard]:
    common = common_words(article_index.document.text).__contains__

    def make(*sources: str, question: str = "What happened?") -> Guard:
        return Guard(list(sources), question, article_index.encoder.encode, common)

    return make


def test_markers_are_read_and_out_of_range_ones_dropped() -> None:
    drafts = split_draft("Jets flew 20 flights [1]. Khoja spoke [2][9]. He left. [3]", 2)
    assert [d.text for d in drafts] == ["Jets flew 20 flights.", "Khoja spoke.", "He left."]
    assert [d.cited for d in drafts] == [(0,), (1,), ()]


def test_abbreviations_do_not_split_a_sentence() -> None:
    drafts = split_draft("The U.S. and Mr. Kerry met [1, 2].", 2)
    assert len(drafts) == 1
    assert drafts[0].cited == (0, 1)


def test_facts_are_numbers_dates_names_and_negation() -> None:
    found = facts("Carter said twenty jets did not fly on September 30, 2015.", never_common)
    assert {"carter", "20", "september", "30", "2015", "(a negation)"} <= found
    assert "jets" not in found


def test_a_wrong_number_is_caught_where_a_substring_would_pass() -> None:
    assert unsupported_facts("Russia conducted 2 flights.", [FLIGHTS], never_common) == {"2"}
    assert unsupported_facts("Russia conducted 20 flights.", [FLIGHTS], never_common) == set()
    assert unsupported_facts("They conducted twenty flights.", [FLIGHTS], str.islower) == set()


def test_a_name_the_source_lacks_is_caught() -> None:
    assert unsupported_facts("The jets flew from Paris.", [FLIGHTS], never_common) == {"paris"}


def test_out_of_range_and_declining_drafts(guard_for: Callable[..., Guard]) -> None:
    guard = guard_for(FLIGHTS)
    (claim,) = guard.check("The jets conducted 20 flights in Syria [7].")
    assert claim.cited == ()  # [7] was out of range; judged as uncited
    assert says_not_covered("NOT IN ARTICLE")
    assert says_not_covered("The article does not mention this.")
    assert not says_not_covered("The jets conducted 20 flights.")


@pytest.mark.parametrize(
    ("draft", "kept"),
    [
        ("The Russian jets conducted 20 flights in Syria [1].", True),
        ("The Russian jets conducted 2 flights in Syria [1].", False),  # SmolLM2's own mistake
        ("The capital is Paris [1].", False),  # and its other one
        ("The jets did not conduct 20 flights in Syria [1].", False),  # negation flipped
        ("Russia wants to help ISIS [1].", False),  # facts present, meaning absent
        ("The source that supports this is: [1]", False),
    ],
)
def test_cited_sentences_are_kept_only_when_supported(
    guard_for: Callable[..., Guard], draft: str, kept: bool
) -> None:
    (claim,) = guard_for(FLIGHTS, KHOJA).check(draft)
    assert claim.kept is kept, claim.reason
    if kept:
        assert claim.support == (FLIGHTS,)
        assert faithful(claim.text, claim.support, never_common)


def test_uncited_sentences_are_cited_post_hoc_only_when_strongly_supported(
    guard_for: Callable[..., Guard],
) -> None:
    supported, unsupported = guard_for(FLIGHTS, KHOJA).check(
        "The Russian Defence Ministry said its jets conducted 20 flights in Syria. "
        "Carter said the strikes were a mistake."
    )
    assert supported.kept and supported.support == (FLIGHTS,) and supported.cited == ()
    assert not unsupported.kept


def test_a_repeated_sentence_is_kept_once(guard_for: Callable[..., Guard]) -> None:
    claims = guard_for(FLIGHTS).check(
        "The Russian jets conducted 20 flights in Syria [1]. "
        "The Russian jets conducted 20 flights in Syria [1]."
    )
    assert [c.kept for c in claims] == [True, False]


def test_support_blends_meaning_and_words(guard_for: Callable[..., Guard]) -> None:
    guard = guard_for(FLIGHTS)
    vectors = guard.encode(["The jets conducted 20 flights.", "Bananas are yellow.", FLIGHTS])
    similarity = vectors[:2] @ vectors[2:].T
    close = guard.support("The jets conducted 20 flights.", [0], similarity[0])
    far = guard.support("Bananas are yellow.", [0], similarity[1])
    assert close > 0.7 > far
    assert guard.support("Anything.", [], np.zeros(1)) == 0.0
