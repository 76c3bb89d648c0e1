"""How an answer is laid out for a person, the same in the terminal and in Telegram.

The quote appears once. An extractive answer *is* its cited sentences, so it is shown as
those sentences, each quoted with where it stands (its paragraph, and its article when
there are several), and no answer line repeats them. A generated (--llm) answer keeps its
own text, with [n] markers, above the quotes it cites. The phrase that answers (the
citation's `answer_span`) is marked inside the quote; a web page's sentence comes with a
link that opens the page at it. A refusal says so, and its closest passages are labelled
as not an answer and never marked or linked.

`text_answer` renders a layout for the terminal; bot.telegram_format renders it as HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.prompts import render
from bot.textfragment import sentence_link
from bot.types import Answer, Citation

NOT_AN_ANSWER = "Closest passages (not an answer):"


@dataclass(frozen=True)
class Quote:
    """One cited sentence, split around the phrase that answers ('' when none does)."""

    citation: Citation
    where: str  # "paragraph 11", or with the article: "Title (source), paragraph 11"
    before: str
    phrase: str
    after: str
    link: str | None  # the page opened at this sentence, for a web page's sentence
    numbered: bool  # shown with its [n], which a generated answer's text refers to


@dataclass(frozen=True)
class Layout:
    lead: str  # the generated answer, or the refusal; "" for an extractive answer
    quotes: tuple[Quote, ...]
    answered: bool

    @property
    def numbered(self) -> bool:
        return any(q.numbered for q in self.quotes)


def layout(answer: Answer, name_documents: bool = False) -> Layout:
    """What to show of `answer`; `name_documents` names each quote's article."""
    if not answer.answered:
        closest = tuple(
            quote(c, name_documents, marked=False, numbered=False) for c in answer.closest
        )
        return Layout(answer.text, closest, answered=False)
    generated = answer.generator == "llm"
    quotes = tuple(
        quote(c, name_documents, marked=True, numbered=generated) for c in answer.citations
    )
    return Layout(answer.text if generated else "", quotes, answered=True)


def quote(citation: Citation, name_documents: bool, *, marked: bool, numbered: bool) -> Quote:
    text = citation.text
    start, end = valid_span(citation) if marked else (0, 0)
    link = sentence_link(citation.source, text) if marked else None
    return Quote(
        citation,
        where(citation, name_documents, linked=link is not None),
        text[:start] if end else text,
        text[start:end],
        text[end:] if end else "",
        link,
        numbered,
    )


def valid_span(citation: Citation) -> tuple[int, int]:
    """The answer span when it lies inside the sentence and holds some text, else (0, 0)."""
    span = citation.answer_span
    if span is None:
        return 0, 0
    start, end = span
    if not 0 <= start < end <= len(citation.text) or not citation.text[start:end].strip():
        return 0, 0
    return start, end


def where(citation: Citation, name_documents: bool, linked: bool = False) -> str:
    """Where a quote stands: its paragraph, and its article when there are several (a web
    page by its title alone, since its link goes with it)."""
    if not name_documents:
        return f"paragraph {citation.paragraph}"
    document = citation.document or citation.source
    named = document if linked or document == citation.source else f"{document} ({citation.source})"
    return f"{named}, paragraph {citation.paragraph}"


def text_answer(
    answer: Answer, name_documents: bool = False, bold: Callable[[str], str] = str
) -> str:
    """The layout as terminal text: each quote under its place, its lines marked '> ', the
    answering phrase passed through `bold`, a web page's link below its quote. A refusal's
    closest passages are one line each, under the "not an answer" label."""
    shown = layout(answer, name_documents)
    if not shown.answered:
        lines = [shown.lead]
        if shown.quotes:
            lines += ["", NOT_AN_ANSWER]
            lines += [f"  - {q.where}: {' '.join(q.citation.text.split())}" for q in shown.quotes]
        return "\n".join(lines)
    blocks = [text_quote(item, bold) for item in shown.quotes]
    if shown.lead and blocks:
        blocks[0] = f"{render('sources_header')}\n{blocks[0]}"
    return "\n\n".join(([shown.lead] if shown.lead else []) + blocks)


def text_quote(item: Quote, bold: Callable[[str], str] = str) -> str:
    label = f"[{item.citation.n}] {item.where}" if item.numbered else item.where
    text = item.before + (bold(item.phrase) if item.phrase else "") + item.after
    lines = [f"{label[0].upper()}{label[1:]}:"]
    lines += [f"> {line}" for line in text.splitlines() or [""]]
    if item.link:
        lines.append(f"  {item.link}")
    return "\n".join(lines)
