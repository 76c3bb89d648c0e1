"""The labelled data the selector learns from, one entry per document.

- SQuAD 2.0 dev articles 9-35 (../shared/data/squad2): each article becomes one document
  (title, then its paragraphs); an answerable question's evidence is its answer with a few
  words around it, cut at sentence ends, so that it names the sentence that answers.
- The hand-written sets of data/eval/manifest.json (news reports, Debian texts).
- The visible set on the default article (../shared/eval).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.article import parse_article
from bot.evaluate import load_items, load_manifest
from bot.readers import load_document
from bot.settings import PROJECT_ROOT
from bot.types import Document

SHARED = PROJECT_ROOT.parent / "shared"
SQUAD = SHARED / "data" / "squad2" / "dev-articles-9-35.json"
MANIFEST = PROJECT_ROOT / "data" / "eval" / "manifest.json"
SEED_QA = SHARED / "eval" / "visible_qa.jsonl"
SEED_CHAT = SHARED / "eval" / "visible_chat.jsonl"
CONTEXT_WORDS = 4


@dataclass(frozen=True)
class Entry:
    """A document and its labelled questions; `kind` is squad, news, text or seed."""

    name: str
    kind: str
    document: Document
    qa: list[dict[str, Any]]
    chat: list[dict[str, Any]] = field(default_factory=list)


def all_entries() -> list[Entry]:
    return squad_entries() + manifest_entries() + seed_entries()


def squad_entries(path: Path = SQUAD) -> list[Entry]:
    data = json.loads(path.read_text("utf-8"))
    return [_squad_entry(article) for article in data["data"]]


def _squad_entry(article: dict[str, Any]) -> Entry:
    title = article["title"].replace("_", " ")
    contexts = [p["context"].strip() for p in article["paragraphs"]]
    text = title + "\n\n" + "\n\n".join(contexts) + "\n"
    items = []
    for paragraph in article["paragraphs"]:
        for qa in paragraph["qas"]:
            item = _squad_item(paragraph["context"], qa)
            if item:
                items.append(item)
    document = parse_article(text, source=f"squad:{article['title']}")
    return Entry(article["title"], "squad", document, items)


def _squad_item(context: str, qa: dict[str, Any]) -> dict[str, Any] | None:
    if qa["is_impossible"]:
        return {"id": qa["id"], "q": qa["question"], "unanswerable": True}
    answers = sorted({a.strip() for a in qa["answers"] if a.strip()})
    evidence = [w for w in (evidence_window(context, a) for a in answers) if w]
    if not evidence:
        return None
    return {"id": qa["id"], "q": qa["question"], "answer_any": answers, "evidence_any": evidence}


def evidence_window(context: str, answer: str) -> str | None:
    """The answer with up to CONTEXT_WORDS words either side, not crossing a sentence end."""
    at = context.find(answer)
    if at < 0:
        return None
    left, right = context[:at], context[at + len(answer) :]
    ends = list(re.finditer(r"[.!?]\s", left))
    left = left[ends[-1].end() :] if ends else left
    stop = re.search(r"[.!?]\s", right)
    right = right[: stop.start()] if stop else right
    before = " ".join(left.split(" ")[-CONTEXT_WORDS:])
    after = " ".join(right.split(" ")[:CONTEXT_WORDS])
    return (before + answer + after).strip()


def manifest_entries(path: Path = MANIFEST) -> list[Entry]:
    entries = []
    for item in load_manifest(path):
        if not Path(item.source).is_file():
            continue  # e.g. the Debian texts where doc-debian is not installed
        qa = load_items(item.qa) if item.qa else []
        chat = load_items(item.chat) if item.chat else []
        entries.append(Entry(item.name, item.kind, load_document(item.source), qa, chat))
    return entries


def seed_entries() -> list[Entry]:
    if not SEED_QA.is_file():
        return []
    document = load_document(str(PROJECT_ROOT / "data" / "article.txt"))
    chat = load_items(SEED_CHAT) if SEED_CHAT.is_file() else []
    return [Entry("default article", "seed", document, load_items(SEED_QA), chat)]
