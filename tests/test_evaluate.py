import importlib.util
import json
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.evaluate import load_items, load_manifest, norm, score
from bot.readers import load_document
from bot.settings import PROJECT_ROOT
from tests.conftest import SHARED_EVAL

ITEMS = [
    {"id": "a", "q": "Q1", "answer_any": ["Twenty"], "evidence_any": ["20 flights"]},
    {"id": "b", "q": "Q2", "answer_any": ["x"], "evidence_any": ["y"]},
    {"id": "c", "q": "Q3", "unanswerable": True},
    {"id": "d", "q": "Q4", "unanswerable": True},
]
ANSWERS = [
    {
        "answer": "twenty",
        "answered": True,
        "citations": [{"text": "It made 20 flights."}, {"text": "Other."}],
    },
    {"answer": "x", "answered": True, "citations": [{"text": "nothing"}]},
    {"answer": "The article doesn't say.", "answered": False, "citations": []},
    {"answer": "Yes", "answered": True, "citations": [{"text": "z"}]},
]


def test_scores_count_what_score_py_counts() -> None:
    got = score(ITEMS, ANSWERS)
    assert (got.correct, got.answerable, got.refused, got.unanswerable) == (1, 2, 1, 2)
    assert got.precision == pytest.approx(1 / 3)
    assert got.misses == ("b", "d")


@pytest.mark.skipif(
    not (SHARED_EVAL / "score.py").is_file(), reason="../shared/eval/score.py not present"
)
def test_agrees_with_the_reference_scorer() -> None:
    spec = importlib.util.spec_from_file_location("reference_score", SHARED_EVAL / "score.py")
    assert spec and spec.loader
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    n_ok, n_ans, n_ref, n_un, prec, misses = reference.score(ITEMS, ANSWERS)
    got = score(ITEMS, ANSWERS)
    assert (got.correct, got.answerable, got.refused, got.unanswerable, list(got.misses)) == (
        n_ok,
        n_ans,
        n_ref,
        n_un,
        misses,
    )
    assert got.precision == pytest.approx(prec)
    assert norm("“Curly”\u00a0 Quotes") == reference.norm("“Curly”\u00a0 Quotes")


def test_bad_qa_files(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text('{"q": "fine", "unanswerable": true}\nnot json\n')
    with pytest.raises(InputError, match=":2 is not valid JSON"):
        load_items(path)
    path.write_text(json.dumps({"nothing": 1}))
    with pytest.raises(InputError, match="neither"):
        load_items(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"turns": 5}, "non-empty list of questions"),
        ({"turns": []}, "non-empty list of questions"),
        ({"turns": ["Who?", 3]}, "non-empty list of questions"),
        ({"q": "Who?", "answer_any": ["x"]}, "'evidence_any'"),
        ({"q": "Who?", "answer_any": "x", "evidence_any": ["x"]}, "'answer_any'"),
        (["a list"], "not a JSON object"),
    ],
)
def test_lines_that_cannot_be_scored_are_named(tmp_path: Path, line: object, message: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=message):
        load_items(path)


def test_the_table_counts_follow_ups_and_refused_unanswerable_ones() -> None:
    from bot.evaluate import DocumentResult, Scores, results_table

    qa = Scores(3, 4, 1, 2, 0.75)
    chat = Scores(2, 3, 1, 2, 1.0)
    table = results_table([DocumentResult("doc", qa, chat)], [DocumentResult("doc", qa, None)])
    rows = table.splitlines()
    assert rows[2].split(" | ")[4] == "2/3 · 1/2 refused"
    assert rows[2].endswith("| - |")
    assert rows[-1].startswith("| **total** | 3/4 | 1/2 |")


SHIPPED_MANIFESTS = sorted((PROJECT_ROOT / "data" / "eval").glob("**/manifest.json"))


@pytest.mark.parametrize("manifest", SHIPPED_MANIFESTS, ids=lambda p: p.parent.name)
def test_every_shipped_set_loads_and_its_evidence_is_in_its_document(manifest: Path) -> None:
    """The labelled sets stay usable: each file parses, and each evidence string is in the
    text the bot reads (a source whose package is not installed is skipped)."""
    documents = load_manifest(manifest)
    present = [d for d in documents if Path(d.source).is_file()]
    if not present:
        pytest.skip(f"none of {manifest}'s sources is installed")
    for document in present:
        text = norm(load_document(document.source).text)
        items = [*(load_items(document.qa) if document.qa else [])]
        items += load_items(document.chat) if document.chat else []
        missing = [
            item["id"]
            for item in items
            if item.get("evidence_any") and not any(norm(e) in text for e in item["evidence_any"])
        ]
        assert not missing, f"{document.name}: evidence not in the document for {missing}"


def test_json_nested_too_deep_to_decode_is_one_clear_error(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    qa = tmp_path / "deep.jsonl"
    qa.write_text(deep + "\n", "utf-8")
    with pytest.raises(InputError, match=":1 is not valid JSON"):
        load_items(qa)
    manifest = tmp_path / "deep.json"
    manifest.write_text('{"documents": ' + deep + "}", "utf-8")
    with pytest.raises(InputError, match="is not an evaluation manifest"):
        load_manifest(manifest)


def test_a_manifest_source_that_is_not_a_path_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "documents.json"
    manifest.write_text('{"documents": [{"source": ["a.txt"], "qa": "qa.jsonl"}]}', "utf-8")
    with pytest.raises(InputError, match="is not an evaluation manifest"):
        load_manifest(manifest)
