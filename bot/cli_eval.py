"""`articlebot eval`'s two ways of scoring: a QA file against the index, or each document
of a manifest indexed alone. Kept apart from bot.cli, which only parses and dispatches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_io import echo
from bot.errors import OutputError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Answerer


def evaluate_file(qa_file: Path, answerer: Answerer, answers_out: Path | None) -> None:
    """Score a QA file's questions with `answerer`; the CLI builds it, so nothing here
    imports bot.cli back."""
    from bot.evaluate import evaluate, faithfulness, load_items

    items = load_items(qa_file)
    scores, answers = evaluate(answerer, items)
    if answers_out:
        lines = "".join(json.dumps(a.to_json()) + "\n" for a in answers)
        try:
            answers_out.write_text(lines, "utf-8")
        except OSError as error:
            raise OutputError(f"Cannot write {answers_out} ({error.strerror}).") from None
    echo(scores.summary())
    if answerer.settings.llm != "none":
        texts = "\n\n".join(d.text for d in answerer.index.documents)
        echo(faithfulness(answers, texts).summary())


def evaluate_manifest(manifest: Path, settings: Settings, baseline: bool) -> str:
    """Each document indexed alone, in memory, and scored on its QA and follow-up files."""
    from bot.core import Answerer
    from bot.embeddings import SentenceTransformerEncoder
    from bot.evaluate import TopSentenceBaseline, evaluate_document, load_manifest, results_table
    from bot.index import memory_index
    from bot.llm import make_llm
    from bot.readers import load_document

    documents = load_manifest(manifest)
    encoder = SentenceTransformerEncoder(settings.model)
    llm = make_llm(settings)
    ours, theirs = [], []
    for document in documents:
        index = memory_index([load_document(document.source)], encoder)
        ours.append(evaluate_document(Answerer(index, settings, llm), document))
        if baseline:
            theirs.append(evaluate_document(TopSentenceBaseline(index), document))
    return results_table(ours, theirs)
