"""`make train`: learn the answer selector, report held-out figures, write its parameters.

Every figure printed comes from documents the models were not fitted on: the documents are
split into folds, and each fold is answered by models fitted on the others (article-level
cross-validation). The parameters shipped in bot/selector.npz are then fitted on everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import numpy as np

from bot.core import Answerer
from bot.evaluate import DocumentResult, TopSentenceBaseline, evaluate, results_table
from bot.features import CONFIDENCE_FEATURES, RANK_FEATURES
from bot.index import ArticleIndex
from bot.selector import PARAMETERS, Selector
from bot.settings import Settings
from bot.types import Answer, Turn
from training.datasets import Entry, all_entries
from training.examples import Example, Indexer, entry_examples
from training.fit import (
    WEIGHTS,
    choose_followup_threshold,
    choose_threshold,
    confidence_rows,
    fit_calibrator,
    fit_ranker,
)

FOLDS = 6


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="report only; keep the parameters")
    args = parser.parse_args(argv)
    started = time.time()
    entries = all_entries()
    indexer = Indexer()
    indexes = {e.name: indexer.index(e.document) for e in entries}
    examples = [x for e in entries for x in entry_examples(e, indexes[e.name])]
    log(f"{len(entries)} documents, {len(examples)} examples ({time.time() - started:.0f} s)")
    fold_of = assign_folds(entries)
    selectors, threshold = cross_validate(examples, fold_of)
    followup_bar = followup_threshold(entries, indexes, fold_of, selectors, threshold)
    results = held_out_results(entries, indexes, fold_of, selectors, threshold, followup_bar)
    print(report(results))
    if not args.no_write:
        final = fit_final(examples, threshold, followup_bar)
        final.save(PARAMETERS)
        write_card(final, entries, examples, results)
        log(f"wrote {PARAMETERS} ({time.time() - started:.0f} s)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def assign_folds(entries: Sequence[Entry]) -> dict[str, int]:
    """Documents dealt round-robin by kind, so each fold holds news and SQuAD alike."""
    ordered = sorted(entries, key=lambda e: (e.kind, e.name))
    return {e.name: i % FOLDS for i, e in enumerate(ordered)}


def cross_validate(
    examples: Sequence[Example], fold_of: dict[str, int]
) -> tuple[dict[int, tuple], float]:
    """Models per fold (fitted without it), and the bar chosen on their held-out output."""
    confidence = np.zeros(len(examples))
    correct = np.zeros(len(examples), dtype=bool)
    models = {}
    for fold in range(FOLDS):
        train = [e for e in examples if fold_of[e.document] != fold]
        ranker = fit_ranker(train)
        calibrator = fit_calibrator(train, ranker)
        models[fold] = (ranker, calibrator)
        test = [i for i, e in enumerate(examples) if fold_of[e.document] == fold]
        rows, labels = confidence_rows([examples[i] for i in test], ranker)
        confidence[test] = 1 / (1 + np.exp(-calibrator(rows)))
        correct[test] = labels
        log(f"fold {fold}: {len(train)} training examples, {len(test)} held out")
    threshold = choose_threshold(examples, confidence, correct)
    log(f"refusal bar chosen on held-out predictions: {threshold}")
    return models, threshold


def fold_selector(models: tuple, threshold: float, followup_bar: float | None = None) -> Selector:
    """The selector of one fold: its two models, held out from the fold's documents."""
    ranker, calibrator = models
    return Selector(ranker, calibrator, threshold, followup_bar)


def followup_threshold(
    entries: Sequence[Entry],
    indexes: dict[str, ArticleIndex],
    fold_of: dict[str, int],
    models: dict[int, tuple],
    threshold: float,
) -> float:
    """The follow-ups' bar, from every chat set's last answers by its fold's selector."""
    confidence, correct, unanswerable = [], [], []
    anything = Settings().with_overrides(min_confidence=0.0)
    for entry in entries:
        selector = fold_selector(models[fold_of[entry.name]], threshold)
        as_seen = Answerer(indexes[entry.name], Settings(), selector=selector)
        eager = Answerer(indexes[entry.name], anything, selector=selector)
        for item in entry.chat:
            # earlier turns as a user sees them (refused below the bar); the last one eager,
            # so that its confidence is known whatever it is
            answerer = EagerLastTurn(as_seen, eager, len(item["turns"]) - 1)
            scores, answers = evaluate(answerer, [item])
            confidence.append(answers[0].confidence)
            correct.append(scores.correct == 1)
            unanswerable.append(bool(item.get("unanswerable")))
    bar = choose_followup_threshold(np.array(confidence), np.array(correct), np.array(unanswerable))
    log(f"follow-ups' bar chosen on {len(confidence)} held-out conversations: {bar}")
    return bar


class EagerLastTurn:
    """Answers the conversation's earlier turns with `answerer`, its last with `eager`."""

    def __init__(self, answerer: Answerer, eager: Answerer, last: int) -> None:
        self.answerer, self.eager, self.last = answerer, eager, last

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        chosen = self.eager if len(history) >= self.last else self.answerer
        return chosen.answer(question, history)


def held_out_results(
    entries: Sequence[Entry],
    indexes: dict[str, ArticleIndex],
    fold_of: dict[str, int],
    models: dict[int, tuple],
    threshold: float,
    followup_bar: float,
) -> dict[str, list[tuple[DocumentResult, DocumentResult]]]:
    """Each document answered end to end by its fold's selector, and by the baseline."""
    by_kind: dict[str, list[tuple[DocumentResult, DocumentResult]]] = defaultdict(list)
    settings = Settings()
    for entry in entries:
        index = indexes[entry.name]
        selector = fold_selector(models[fold_of[entry.name]], threshold, followup_bar)
        answerer = Answerer(index, settings, selector=selector)
        ours = document_result(entry, answerer)
        baseline = document_result(entry, TopSentenceBaseline(index))
        by_kind[entry.kind].append((ours, baseline))
    return by_kind


def document_result(entry: Entry, answerer: object) -> DocumentResult:
    qa = evaluate(answerer, entry.qa)[0] if entry.qa else None  # type: ignore[arg-type]
    chat = evaluate(answerer, entry.chat)[0] if entry.chat else None  # type: ignore[arg-type]
    return DocumentResult(entry.name, qa, chat)


def report(results: dict[str, list[tuple[DocumentResult, DocumentResult]]]) -> str:
    parts = []
    for kind, pairs in sorted(results.items()):
        ours, baseline = [p[0] for p in pairs], [p[1] for p in pairs]
        parts.append(f"\n## {kind} (held out)\n\n{results_table(ours, baseline)}")
    return "\n".join(parts)


def fit_final(examples: Sequence[Example], threshold: float, followup_bar: float) -> Selector:
    ranker = fit_ranker(examples)
    return Selector(ranker, fit_calibrator(examples, ranker), threshold, followup_bar)


def write_card(
    selector: Selector,
    entries: Sequence[Entry],
    examples: Sequence[Example],
    results: dict[str, list[tuple[DocumentResult, DocumentResult]]],
) -> None:
    """selector.json: what the parameters were trained on, and their held-out figures."""
    held_out = {}
    for kind, pairs in results.items():
        table = results_table([p[0] for p in pairs], [p[1] for p in pairs])
        held_out[kind] = table.splitlines()[-1]
    card = {
        "trained": date.today().isoformat(),
        "command": "make train",
        "documents": {
            k: sorted(e.name for e in entries if e.kind == k)
            for k in sorted({e.kind for e in entries})
        },
        "examples": len(examples),
        "rank_features": list(RANK_FEATURES),
        "confidence_features": list(CONFIDENCE_FEATURES),
        "confidence_weights": {f"{a}/{b}": w for (a, b), w in WEIGHTS.items()},
        "threshold": selector.threshold,
        "followup_threshold": selector.followup_threshold,
        "folds": FOLDS,
        "held_out_totals": held_out,
    }
    PARAMETERS.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
