"""bot.table's arrays against the straightforward reading (tests/reference_table.py): the
answering core must see the same numbers, to the last bit, on the default article and on an
index of several documents; and an index read back from disk must give what it gave when
it was built."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.candidates import Question, candidate_positions
from bot.embeddings import SentenceTransformerEncoder
from bot.features import confidence_features, rank_features
from bot.index import memory_index, open_index
from bot.index_load import ArticleIndex
from bot.readers import load_documents
from bot.retrieval import make_query
from bot.selector import load_selector
from bot.settings import Settings
from bot.table import SentenceTable
from bot.text import CAPITALISED_RUN, content_terms, names
from tests.conftest import ARTICLE, SHARED_EVAL
from tests.reference_table import ReferenceTable

EXTRA_QUESTIONS = [
    "Who heads the Syrian National Coalition?",
    "What did Kerry tell the Security Council?",
    "How many civilians were killed?",
    "When did the strikes happen?",
    "Where is Khoja?",
    "What is the headline?",
    "Who said the targets were civilians?",
    "How old is Ashton Carter?",
    "What did the lighthouse keeper do in 1990?",
]


def questions() -> list[str]:
    path = SHARED_EVAL / "visible_qa.jsonl"
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    return [json.loads(line)["q"] for line in lines if line.strip()] + EXTRA_QUESTIONS


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The article and a second document, in memory, built as a saved index is."""
    extra = Path(tmp_path_factory.mktemp("docs")) / "keeper.md"
    extra.write_text(
        "# Keeper\n\nThe lighthouse keeper retired in 1990, Jones said. He had served for "
        "41 years.\n\n“It was a quiet life,” said Mary Jones, his wife.\n",
        "utf-8",
    )
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    return memory_index(load_documents([ARTICLE, extra]), encoder)


def features(table: Any, text: str, document: int | None = None) -> tuple[Any, ...]:
    query = make_query(table, text, [], document=document)
    encoding = table.index.encoder.encode_tokens(query.resolved)
    question = Question(query.resolved, query.kind, query.terms, encoding, document)
    positions = candidate_positions(table, question)
    if not positions:
        return query.resolved, positions, None, None
    candidates = rank_features(table, question, positions)
    scores = load_selector().rank(candidates.features)
    row = confidence_features(table, question, candidates, scores)
    return query.resolved, positions, candidates.features, row


@pytest.mark.parametrize("scope", [None, 0, 1])
def test_feature_rows_equal_the_reference(library: Any, scope: int | None) -> None:
    ours, reference = SentenceTable(library), ReferenceTable(library)
    for text in questions():
        mine, theirs = features(ours, text, scope), features(reference, text, scope)
        assert mine[:2] == theirs[:2], text
        if mine[2] is not None:
            np.testing.assert_array_equal(mine[2], theirs[2], err_msg=text)
            np.testing.assert_array_equal(mine[3], theirs[3], err_msg=text)


def test_lexical_tables_equal_the_reference(library: Any) -> None:
    ours, reference = SentenceTable(library), ReferenceTable(library)
    everything = list(range(len(reference.sentences)))
    for text in questions():
        terms = content_terms(text)
        np.testing.assert_array_equal(
            ours.bm25(terms, everything), reference.bm25(terms, everything)
        )
        np.testing.assert_array_equal(
            ours.coverages(terms, everything), reference.coverages(terms, everything)
        )
        for scope in (None, 0, 1):
            for count in (1, 3, 10, len(everything)):
                best = reference.best_lexical(terms, scope, count)
                assert ours.best_lexical(terms, scope, count) == best, (text, scope, count)
    for position in everything:
        assert ours.sentences[position] == reference.sentences[position]
        assert ours.leans_on_previous(position) == reference.leans_on_previous(position)
        assert ours.relative_position(position) == reference.relative_position(position)
        assert ours.paragraph_row(position) == reference.paragraph_row(position)
        assert ours.position_of(reference.sentences[position].id) == position
    np.testing.assert_array_equal(
        ours.relative_positions(everything), reference.relative_positions(everything)
    )
    assert ours.roles(everything) == reference.roles(everything)
    np.testing.assert_array_equal(ours.token_idf, reference.token_idf)
    assert list(ours.documents) == reference.documents


def test_speakers_equal_a_search_of_the_whole_text(library: Any) -> None:
    ours, reference = SentenceTable(library), ReferenceTable(library)
    text = "\n\n".join(d.text for d in reference.documents)
    candidates = {m.group(0) for m in CAPITALISED_RUN.finditer(text)} | set(names(text))
    candidates |= {"Kerry", "Jones", "Mary Jones", "Khoja", "Lavrov", "Carter", "Ashton Carter"}
    candidates |= {"Nobody", "erry", "Jone", "", "Syrian National Coalition"}
    found = {name for name in candidates if ours.is_person(name)}
    assert found == {name for name in candidates if reference.is_person(name)}
    assert {"Kerry", "Khoja", "Lavrov", "Carter", "Jones", "Mary Jones"} <= found
    short = {name: ours.short_name(name) for name in candidates}
    assert short == {name: reference.short_name(name) for name in candidates}
    pronouns = {name: ours.pronoun_of(name) for name in candidates}
    assert pronouns == {name: reference.pronoun_of(name) for name in candidates}
    assert pronouns["Khoja"] == "he" and "she" not in {pronouns["Kerry"], pronouns["Carter"]}


def test_a_saved_index_gives_the_features_of_the_one_it_was_built_from(
    article_index: ArticleIndex, settings: Settings
) -> None:
    """Read back memory-mapped, the index gives the answering core the same numbers, to the
    last bit, as the index in memory that was saved (same query encoder)."""
    loaded = replace(open_index(settings), encoder=article_index.encoder)
    saved, built = SentenceTable(loaded), SentenceTable(article_index)
    for text in questions():
        mine, theirs = features(saved, text), features(built, text)
        assert mine[:2] == theirs[:2], text
        if mine[2] is not None:
            np.testing.assert_array_equal(mine[2], theirs[2], err_msg=text)
            np.testing.assert_array_equal(mine[3], theirs[3], err_msg=text)


@pytest.mark.parametrize("roles", [("title",), ("title", "standfirst"), ("body",), ("credit",)])
def test_positions_with_a_role_are_those_of_a_reading_of_every_sentence(
    library: Any, roles: tuple[str, ...]
) -> None:
    ours, reference = SentenceTable(library), ReferenceTable(library)
    for scope in (None, 0, 1):
        expected = [
            p
            for p, sentence in enumerate(reference.sentences)
            if sentence.role in roles and reference.in_scope(p, scope)
        ]
        for limit in (None, 1, 3, len(expected) + 1):
            found = ours.positions_with_role(roles, scope, limit)
            assert found == expected[:limit], (scope, limit)
