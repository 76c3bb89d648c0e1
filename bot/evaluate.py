"""Scoring a QA file the way ../shared/eval/score.py does, through the same core as everyone."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import Answerer
from bot.errors import ArticleError, InputError
from bot.guard import common_words, faithful
from bot.types import Answer, Citation, Turn

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
    cited: int = 0
    cited_good: int = 0

    @staticmethod
    def total(parts: Iterable[Scores]) -> Scores:
        parts = list(parts)
        cited, good = sum(p.cited for p in parts), sum(p.cited_good for p in parts)
        return Scores(
            sum(p.correct for p in parts),
            sum(p.answerable for p in parts),
            sum(p.refused for p in parts),
            sum(p.unanswerable for p in parts),
            good / cited if cited else 0.0,
            tuple(m for p in parts for m in p.misses),
            cited,
            good,
        )

    def cells(self) -> list[str]:
        """Correct, refused and precision, as table cells."""
        return [
            f"{self.correct}/{self.answerable}",
            f"{self.refused}/{self.unanswerable}",
            f"{self.precision:.2f}" if self.cited else "-",
        ]

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
    return Scores(
        correct, answerable, refused, unanswerable, precision, tuple(misses), cited, cited_good
    )


def load_items(path: Path) -> list[dict[str, Any]]:
    """QA lines: {"q"} questions or {"turns"} conversations; a bad line is a clear error."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except UnicodeDecodeError:
        raise ArticleError(f"The QA file {path} is not UTF-8 text.") from None
    except OSError as error:
        raise ArticleError(f"Cannot read the QA file {path} ({error.strerror}).") from None
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # "[[[[...": too deep to decode
            raise InputError(f"{path}:{number} is not valid JSON.") from None
        problem = _item_problem(item)
        if problem:
            raise InputError(f"{path}:{number} {problem}.")
        items.append(item)
    if not items:
        raise ArticleError(f"The QA file {path} holds no questions.")
    return items


def _item_problem(item: object) -> str:
    """What is wrong with a QA line, or '' when it can be asked and scored."""
    if not isinstance(item, dict):
        return "is not a JSON object"
    if "turns" in item:
        turns = item["turns"]
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            return "needs 'turns' to be a non-empty list of questions"
    elif not isinstance(item.get("q"), str) or not item["q"].strip():
        return "has neither a 'q' question nor 'turns'"
    if item.get("unanswerable") is True:
        return ""
    for key in ("answer_any", "evidence_any"):
        values = item.get(key)
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            return f"needs '{key}' (a non-empty list of strings) or \"unanswerable\": true"
    return ""


@dataclass(frozen=True)
class EvalDocument:
    """One document of an evaluation manifest, with its QA and follow-up files."""

    name: str
    kind: str
    source: str
    qa: Path | None
    chat: Path | None


def load_manifest(path: Path) -> list[EvalDocument]:
    """{"documents": [{"name", "kind", "source", "qa", "chat"}]}; paths relative to the
    manifest. A malformed manifest is one clear error."""
    try:
        data = json.loads(path.read_text("utf-8"))
        documents = [_eval_document(path.parent, entry) for entry in data["documents"]]
    except UnicodeDecodeError:
        raise ArticleError(f"The manifest {path} is not UTF-8 text.") from None
    except OSError as error:
        raise ArticleError(f"Cannot read the manifest {path} ({error.strerror}).") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InputError(
            f"{path} is not an evaluation manifest: it needs "
            '{"documents": [{"name", "source", "qa", "chat"}, ...]}.'
        ) from None
    if not any(document.qa or document.chat for document in documents):
        raise ArticleError(f"The manifest {path} holds no questions (no qa or chat file).")
    return documents


def _eval_document(base: Path, entry: dict[str, Any]) -> EvalDocument:
    def local(key: str) -> Path | None:
        return base / entry[key] if entry.get(key) else None

    source = entry["source"]
    if not isinstance(source, str):  # ["a.txt"]: a list is no path (TypeError: no manifest)
        raise TypeError(source)
    if not re.match(r"^https?://", source):
        source = str((base / source).resolve())
    name = str(entry.get("name") or Path(source).name)
    return EvalDocument(name, str(entry.get("kind", "")), source, local("qa"), local("chat"))


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


class TopSentenceBaseline:
    """The textbook baseline: the one sentence most similar to the question by cosine of
    sentence embeddings (each sentence encoded on its own). It never refuses and has no
    memory of the conversation."""

    def __init__(self, index: Any) -> None:
        self.encoder = index.encoder
        self.sentences = [(d, s) for d in index.documents for s in d.sentences]
        self.vectors = self.encoder.encode([s.text for _, s in self.sentences])

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        similarity = self.vectors @ self.encoder.encode([question])[0]
        best = int(np.argmax(similarity))
        document, sentence = self.sentences[best]
        citation = Citation(
            1,
            document.source,
            sentence.paragraph,
            sentence.number,
            sentence.text,
            float(similarity[best]),
            sentence.id,
            document.title,
        )
        return Answer(question, f"{sentence.text} [1]", True, (citation,), question)


@dataclass(frozen=True)
class DocumentResult:
    """A document's scores on its QA file and on its follow-up conversations."""

    name: str
    qa: Scores | None
    chat: Scores | None


def evaluate_document(answerer: Any, document: EvalDocument) -> DocumentResult:
    """Score one document's QA and chat files with `answerer` (anything with `answer`)."""
    qa = evaluate(answerer, load_items(document.qa))[0] if document.qa else None
    chat = evaluate(answerer, load_items(document.chat))[0] if document.chat else None
    return DocumentResult(document.name, qa, chat)


def results_table(
    results: Sequence[DocumentResult], baseline: Sequence[DocumentResult] = ()
) -> str:
    """A Markdown table: one row per document and a total row (correct, refused, citation
    precision, follow-ups), with the baseline's figures beside them when given."""
    header = ["document", "answered correctly", "refused", "precision", "follow-ups"]
    if baseline:
        header += ["baseline: correct", "refused", "precision", "follow-ups"]
    rows = [
        [r.name, *_cells(r), *(_cells(baseline[i]) if baseline else [])]
        for i, r in enumerate(results)
    ]
    rows.append(
        ["**total**", *_cells(_total(results)), *(_cells(_total(baseline)) if baseline else [])]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _cells(result: DocumentResult) -> list[str]:
    qa = result.qa.cells() if result.qa else ["-", "-", "-"]
    return [*qa, _chat_cell(result.chat)]


def _chat_cell(chat: Scores | None) -> str:
    """Follow-ups answered correctly, and those the text never answers refused, if any."""
    if chat is None:
        return "-"
    cell = f"{chat.correct}/{chat.answerable}"
    return f"{cell} · {chat.refused}/{chat.unanswerable} refused" if chat.unanswerable else cell


def _total(results: Sequence[DocumentResult]) -> DocumentResult:
    def total(parts: list[Scores | None]) -> Scores | None:
        present = [p for p in parts if p is not None]
        return Scores.total(present) if present else None

    return DocumentResult("total", total([r.qa for r in results]), total([r.chat for r in results]))


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
