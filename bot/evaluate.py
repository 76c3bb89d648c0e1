"""Scoring a QA file the way ../shared/eval/score.py does, through the same core as everyone."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import Answerer
from bot.errors import ArticlebotError, InputError
from bot.guard import common_words, faithful
from bot.types import Answer, Turn

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def norm(text: str) -> str:
    """NFKC, straight quotes, folded whitespace, lower case: score.py's normalisation."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass(frozen=True)
class Scores:
    correct: int
    answerable: int
    refused: int
    unanswerable: int
    precision: float
    misses: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        return (
            f"answered correctly {self.correct}/{self.answerable}, refused {self.refused}/"
            f"{self.unanswerable} unanswerable, citation precision {self.precision:.2f}; "
            f"misses: {' '.join(self.misses) or 'none'}"
        )


def score(items: list[dict[str, Any]], answers: list[dict[str, Any]]) -> Scores:
    correct = answerable = refused = unanswerable = cited = cited_good = 0
    misses: list[str] = []
    for item, answer in zip(items, answers, strict=True):
        citations = [norm(c.get("text", "")) for c in answer.get("citations", [])]
        if item.get("unanswerable"):
            unanswerable += 1
            ok = not answer.get("answered", True) and not any(citations)
            refused += ok
        else:
            answerable += 1
            evidence = [norm(e) for e in item["evidence_any"]]
            good = [any(e in c for e in evidence) for c in citations]
            cited, cited_good = cited + len(citations), cited_good + sum(good)
            text = norm(answer.get("answer", "")) + " " + " ".join(citations)
            ok = bool(answer.get("answered")) and any(good)
            ok = ok and any(norm(k) in text for k in item["answer_any"])
            correct += ok
        if not ok:
            misses.append(str(item.get("id", len(misses))))
    precision = cited_good / cited if cited else 0.0
    return Scores(correct, answerable, refused, unanswerable, precision, tuple(misses))


def load_items(path: Path) -> list[dict[str, Any]]:
    """QA lines: {"q"} questions or {"turns"} conversations; a bad line is a clear error."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ArticlebotError(f"Cannot read the QA file {path}: {error}") from None
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{path}:{number} is not valid JSON.") from None
        if not isinstance(item, dict) or not ("q" in item or "turns" in item):
            raise InputError(f"{path}:{number} has neither 'q' nor 'turns'.")
        items.append(item)
    return items


def run_item(answerer: Answerer, item: dict[str, Any]) -> Answer:
    """Ask a question, or play a conversation and return its last answer."""
    turns: Iterable[str] = item.get("turns") or [item["q"]]
    history: list[Turn] = []
    answer: Answer | None = None
    for question in turns:
        answer = answerer.answer(question, history)
        history.append(Turn(question, answer))
    assert answer is not None
    return answer


def evaluate(answerer: Answerer, items: list[dict[str, Any]]) -> tuple[Scores, list[Answer]]:
    answers = [run_item(answerer, item) for item in items]
    return score(items, [a.to_json() for a in answers]), answers


@dataclass(frozen=True)
class Faithfulness:
    """Generated sentences whose citations hold every number, date and name in them: as
    delivered (guard on) and as the model wrote them (guard off)."""

    delivered: int
    delivered_faithful: int
    drafted: int
    drafted_faithful: int
    fallbacks: int

    def summary(self) -> str:
        def share(good: int, total: int) -> str:
            return f"{100 * good / total:.0f}% ({good}/{total})" if total else "n/a (0/0)"

        return (
            f"faithfulness: guard on {share(self.delivered_faithful, self.delivered)}, "
            f"guard off {share(self.drafted_faithful, self.drafted)} of generated sentences; "
            f"{self.fallbacks} answers fell back to extractive"
        )


def faithfulness(answers: Iterable[Answer], document_text: str) -> Faithfulness:
    common = common_words(document_text).__contains__
    delivered = delivered_ok = drafted = drafted_ok = fallbacks = 0
    for answer in answers:
        fallbacks += answer.generator == "fallback"
        for claim in answer.claims:
            drafted += 1
            drafted_ok += faithful(claim.text, claim.cited, common)
            if claim.kept and answer.generator == "llm":
                delivered += 1
                delivered_ok += faithful(claim.text, claim.support, common)
    return Faithfulness(delivered, delivered_ok, drafted, drafted_ok, fallbacks)
