import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.article import fold_lines, parse_article
from bot.errors import ArticleError
from bot.readers import load_document

ARTICLE = Path(__file__).resolve().parent.parent / "data" / "article.txt"


def texts(body: str) -> list[str]:
    return [s.text for s in parse_article(body).sentences]


def test_quote_with_attribution_stays_one_sentence() -> None:
    assert texts(
        '"It does appear (the strikes) were probably ISIL [ISIS] forces," Carter said. Then more.'
    ) == [
        '"It does appear (the strikes) were probably ISIL [ISIS] forces," Carter said.',
        "Then more.",
    ]


def test_a_quotation_of_several_sentences_is_one_sentence() -> None:
    got = texts(
        'Lavrov said, "We want peace. A Syria for all, but there are differences." He left.'
    )
    assert got == [
        'Lavrov said, "We want peace. A Syria for all, but there are differences."',
        "He left.",
    ]
    curly = texts("He said: “One. Two. Three.” Then he left. “Four.”")
    assert curly == ["He said: “One. Two. Three.”", "Then he left.", "“Four.”"]


def test_a_quotation_that_never_closes_does_not_swallow_the_paragraph() -> None:
    body = 'He said, "One. ' + " ".join(f"Sentence {i}." for i in range(20))
    assert len(texts(body)) == 21


@pytest.mark.parametrize("abbreviation", ["U.S.", "Dr.", "Sept.", "Mr.", "Gen."])
def test_abbreviations_do_not_end_sentences(abbreviation: str) -> None:
    assert len(texts(f"He met {abbreviation} Smith on Monday. Then he left.")) == 2


def test_a_name_in_lower_case_starts_a_sentence_after_a_full_stop() -> None:
    assert texts("Use zlib in Java. zlib is already in the SDK.") == [
        "Use zlib in Java.",
        "zlib is already in the SDK.",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "He walked into the East L.A. station and left.",  # an initialism
        "Read the licence in zlib.h. please do.",  # a file name
        "It was pronounced with a short i, ie. grinned, not grined.",
        "It fell, ca. twenty years ago, in ruins.",
        "It can no longer overwrite a file. [bug introduced in gzip-1.3.10]",
        "Added a test for compiler bugs. (gcc is broken on the NeXT.)",
        "Wait... and then it went on.",
        "If stability matters to you: install stable. period.",
    ],
)
def test_no_sentence_starts_in_lower_case_after_an_abbreviation_or_alone(body: str) -> None:
    assert texts(body) == [body]


def test_a_one_word_answer_opening_a_paragraph_is_cited_with_the_next_sentence() -> None:
    assert texts("Yes. zlib doesn't handle dates. It is fine.\n\nNo! Go away.") == [
        "Yes. zlib doesn't handle dates.",
        "It is fine.",
        "No! Go away.",
    ]
    assert texts("It was said. Yes. Then more.") == ["It was said.", "Yes.", "Then more."]


def test_question_inside_quote_followed_by_lowercase_is_not_split() -> None:
    assert texts('"Why now?" he asked. Nobody knew.') == ['"Why now?" he asked.', "Nobody knew."]


def test_curly_quotes_nbsp_and_dashes() -> None:
    body = "It was “doomed to fail”. He said\u00a0so -- twice -- on Monday. ‘Yes.’ Done."
    assert texts(body) == [
        "It was “doomed to fail”.",
        "He said\u00a0so -- twice -- on Monday.",
        "‘Yes.’",
        "Done.",
    ]


def test_brackets_are_not_split() -> None:
    assert len(texts("Forces (of the U.S. Army. Also others) were there. Next one.")) == 2


def test_hard_wrapped_lines_are_joined_and_offsets_point_into_the_source() -> None:
    body = (
        "Title line\n\nThe first line of a\nhard-wrapped paragraph. Its second\n"
        "  sentence.\n\nLast."
    )
    document = parse_article(body)
    assert [p.number for p in document.paragraphs] == [1, 2, 3]
    second = document.paragraphs[1].sentences
    assert [s.text for s in second] == [
        "The first line of a hard-wrapped paragraph.",
        "Its second sentence.",
    ]
    for sentence in document.sentences:
        assert fold_lines(body[sentence.start : sentence.end]) == sentence.text


def test_a_written_by_line_is_a_credit_and_a_revised_date_a_dateline() -> None:
    document = parse_article(
        "The Linux Manifesto\n\nWritten by  Ian A. Murdock\n\nRevised 01/06/94\n\n"
        "Debian is a new kind of distribution.\n\nWritten by hand, it grew.\n"
    )
    assert [p.role for p in document.paragraphs] == [
        "title",
        "credit",
        "dateline",
        "body",
        "body",
    ]


def test_the_default_article_roles_title_and_ids() -> None:
    document = load_document(str(ARTICLE))
    assert document.title == "US defence chief says Russia ‘probably’ not targeting ISIS"
    roles = {p.role for p in document.paragraphs}
    assert {"title", "dateline", "credit", "caption", "heading", "body"} <= roles
    assert document.date == "Updated Oct 1, 2015"
    assert document.sentences[0].role == "title"  # the title is citable too
    ids = [s.id for s in document.sentences]
    assert len(set(ids)) == len(ids)
    assert ids == [s.id for s in load_document(str(ARTICLE)).sentences]  # stable across reads
    for sentence in document.sentences:
        assert fold_lines(document.text[sentence.start : sentence.end]) == sentence.text


def test_ids_change_with_the_text() -> None:
    assert (
        parse_article("One. Two.").sentences[0].id != parse_article("One. Three.").sentences[0].id
    )


@settings(deadline=None)  # a busy CI machine must not turn slowness into a failure
@given(st.text(min_size=1, max_size=400).filter(lambda t: t.strip()))
def test_any_text_parses_to_sentences_from_the_source(text: str) -> None:
    try:
        document = parse_article(text)
    except ArticleError:  # only a text with nothing to read, such as a rule ("===")
        assert not any(c.isalnum() for c in text)
        return
    for sentence in document.sentences:
        assert sentence.text
        assert fold_lines(text[sentence.start : sentence.end]) == sentence.text


def test_one_paragraph_per_line_without_blank_lines() -> None:
    long_line = "This paragraph is a single long line of text that no editor would hard-wrap. " * 2
    document = parse_article(f"Headline here\n{long_line}\n{long_line}\nShort closing line.")
    assert [p.number for p in document.paragraphs] == [1, 2, 3, 4]
    assert document.title == "Headline here"


def test_hard_wrapped_text_without_blank_lines_stays_one_paragraph() -> None:
    wrapped = "A short wrapped line\nthat goes on here\nand ends here."
    assert len(parse_article(wrapped).paragraphs) == 1


def test_lines_of_records_with_no_full_stop_are_read_one_by_one() -> None:
    records = "\n".join(f"item {i} the warehouse in city{i} stores {i}0 boxes" for i in range(8))
    document = parse_article(f"Stock list\n\n{records}\n\nThe list is checked weekly.")
    texts = [s.text for s in document.sentences]
    assert "item 4 the warehouse in city4 stores 40 boxes" in texts
    assert len(texts) == 10
    few = "A title that wraps\nover three lines\nwith no full stop"
    assert len(parse_article(f"{few}\n\nBody text here.").sentences) == 2


def test_cjk_full_stops_end_sentences_without_a_space_or_a_capital() -> None:
    # "。" was no sentence end: a Chinese or Japanese passage was one citation
    assert texts("北京今天下雨。气温将下降！明天会晴吗？会的．风很大。") == [
        "北京今天下雨。",
        "气温将下降！",
        "明天会晴吗？",
        "会的．",
        "风很大。",
    ]
    # a quotation goes on into its sentence, as '"Go." he said' does; a decimal point is no end
    assert texts("彼は「行く。」と言った。次の日は３．５度だった。 「雨だ。」「本当？」") == [
        "彼は「行く。」と言った。",
        "次の日は３．５度だった。",
        "「雨だ。」",
        "「本当？」",
    ]
    assert texts("“你好。”他说。The next day was fine.") == [
        "“你好。”他说。",
        "The next day was fine.",
    ]
    # an English sentence before a CJK one ends at its full stop and space, though no
    # capital follows: "Mixed text. 日本語の文。" was one citation
    assert texts("Tanaka paid 3.5 yen. 田中さんは42歳です。 He left. 「次の文。」") == [
        "Tanaka paid 3.5 yen.",
        "田中さんは42歳です。",
        "He left.",
        "「次の文。」",
    ]
    assert texts("Mr. 田中 said so. Ask Dr. 김 today.") == [
        "Mr. 田中 said so.",
        "Ask Dr. 김 today.",
    ]
    # Korean ends its sentences with ". ", and has no capitals either
    assert texts("데비안은 배포판이다. 목표는 자유이다.") == [
        "데비안은 배포판이다.",
        "목표는 자유이다.",
    ]
    # Japanese with an ASCII "?" inside its sentence goes on: no capital tells it ended
    assert texts("フリーとは何だろう? のページを参照してください。") == [
        "フリーとは何だろう? のページを参照してください。"
    ]


@pytest.mark.parametrize(
    "body",
    [
        "x" + "." * 200_000 + "y",  # a run of dots with no space after it
        "x" + "。" * 200_000 + "」y",  # a run of CJK full stops, then a quotation going on
        "(" + " ".join("Sentence number one." for _ in range(60_000)),  # a bracket never closed
        '"' + " ".join("Sentence number one." for _ in range(60_000)),  # a quotation never closed
        " ".join("Sentence number one." for _ in range(60_000)),  # one long paragraph
    ],
)
def test_splitting_takes_linear_time(body: str) -> None:
    """Quadratic code takes minutes on these; linear code a fraction of a second."""
    started = time.perf_counter()
    parse_article(body)
    assert time.perf_counter() - started < 5.0


def test_a_list_item_is_body_not_a_heading() -> None:
    document = parse_article(
        "Credits\n\nThe library has had four maintainers.\n\n"
        " * Cosmin Truta (current maintainer, since 2018)\n"
        " * Glenn Randers-Pehrson (former maintainer, 1998-2018)\n\nThanks\n"
    )
    roles = {p.text.strip(" *"): p.role for p in document.paragraphs}
    assert roles["Cosmin Truta (current maintainer, since 2018)"] == "body"
    assert roles["Thanks"] == "heading"


def test_a_wrapped_list_item_stays_one_sentence_but_an_indented_body_has_a_heading() -> None:
    faq = parse_article(
        "The FAQ\n\n36. Valgrind says that deflate is\n    performing a conditional jump.\n"
        "    Isn't that a bug?\n\n    No. That is intentional.\n"
    )
    texts = [s.text for s in faq.sentences]
    assert "Valgrind says that deflate is performing a conditional jump." in texts[1]
    contract = parse_article(
        "The Contract\n\n    1. Debian will remain free\n       We provide the guidelines.\n"
    )
    assert [p.text.strip() for p in contract.paragraphs][1:] == [
        "1. Debian will remain free",
        "We provide the guidelines.",
    ]


def test_a_bracketed_number_inside_a_wrapped_sentence_does_not_open_an_item() -> None:
    document = parse_article(
        "News\n\n   * Third-party libraries must support the current API version\n"
        "     (7) to work with OpenSSH 8.4.\n\nSteps:\n(1) remove the key\n(2) add it again\n"
    )
    texts = [s.text.lstrip("* ") for s in document.sentences]
    assert (
        "Third-party libraries must support the current API version (7) to work with OpenSSH 8.4."
        in texts
    )
    assert texts[-2:] == ["remove the key", "add it again"]  # items of a numbered list


def test_a_bullets_indented_line_is_the_rest_of_its_item() -> None:
    document = parse_article(
        "Authors\n\n * Guy Eric Schalnat (original author, 1995-1996)\n"
        "   (formerly of Group 42, Inc.)\n * Cosmin Truta (current maintainer)\n"
    )
    texts = [s.text for s in document.sentences]
    assert "Guy Eric Schalnat (original author, 1995-1996) (formerly of Group 42, Inc.)" in (
        t.lstrip("* ") for t in texts
    )
