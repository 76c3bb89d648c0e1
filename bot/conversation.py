"""Where a follow-up's answer lies in the conversation so far: the sentences it cannot
mean ("next", "why?", "what about X?"), and the follow-ups answered from the last answer
itself ("What did he say next?", a bare "Why?", "When?" or "Where?")."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.followup import bare_ask, continues, gives_reason, moves_on, swapped_subject
from bot.spans import candidate_spans, tells_age_of
from bot.table import SentenceTable
from bot.text import QuestionType, content_terms, question_type
from bot.types import Answer, Turn

# kinds whose answers our patterns find reliably ("when?" is also "in injury time")
TYPED_KINDS = frozenset({"number", "age", "measure", "money", "person", "place"})


def excluded(table: SentenceTable, question: str, history: Sequence[Turn]) -> frozenset[int]:
    """Sentences a follow-up cannot mean: those it asks past ("next", "why?"), or, for
    "what about X?", the previous answers that do not mention X."""
    if not history:
        return frozenset()
    if moves_on(question):
        return _answered_before(table, history)
    subject = set(content_terms(swapped_subject(question)))
    if not subject:
        return frozenset()
    return _last_cited(table, history, unless=lambda text: bool(subject & set(content_terms(text))))


def continuation_of(
    table: SentenceTable, question: str, history: Sequence[Turn], kind: QuestionType | None = None
) -> tuple[int, float] | None:
    """Where a follow-up is answered from the last answer itself: "What did he say next?"
    by the sentence right after its last citation, in the same document; a bare "Why?",
    "When?", "Where?" or "How old was he?" by its own sentence, when that gives a reason, a
    date, a place or an age."""
    if not history or not history[-1].answer.answered:
        return None
    if wanted := bare_ask(question):
        subject = kind.subject if kind else ""
        return _asked_of_last(table, wanted, history[-1].answer, subject)
    if not continues(question):
        return None
    last = history[-1].answer.citations[-1]
    position = table.position_of(last.sentence_id)
    if position is None or position + 1 >= len(table.sentences):
        return None
    if table.document_of(position + 1) != table.document_of(position):
        return None
    return position + 1, history[-1].answer.confidence


def _asked_of_last(
    table: SentenceTable, wanted: str, last: Answer, subject: str = ""
) -> tuple[int, float] | None:
    """The last answer's cited sentence that holds what a bare question wants, if one does
    (for "How old is she?", an age that is hers: `subject` is who she is)."""
    kind = question_type({"date": "When?", "age": "How old?"}.get(wanted, "Where?"))
    for citation in reversed(last.citations):
        position = table.position_of(citation.sentence_id)
        if wanted == "reason":
            holds = gives_reason(citation.text)
        elif wanted == "age" and subject and position is not None:
            before = table.sentences[position - 1].text if position else ""
            holds = tells_age_of(citation.text, before, subject)
        else:
            holds = bool(candidate_spans(kind, citation.text, "", table.is_person, firm=True))
        if position is not None and holds:
            return position, last.confidence
    return _reason_beside(table, last) if wanted == "reason" else None


def _reason_beside(table: SentenceTable, last: Answer) -> tuple[int, float] | None:
    """The reason a bare "Why?" wants, when the last answer's sentence gives none but the
    one right after or before it in its paragraph does ("..., because dignitaries wanted
    to meet him.")."""
    for citation in last.citations:
        position = table.position_of(citation.sentence_id)
        if position is None:
            continue
        for beside in (position + 1, position - 1):
            if (
                0 <= beside < len(table.sentences)
                and table.same_paragraph(position, beside)
                and gives_reason(table.sentences[beside].text)
            ):
                return beside, last.confidence
    return None


def offers_nothing_new(
    table: SentenceTable, kind: QuestionType, resolved: str, history: Sequence[Turn]
) -> frozenset[int]:
    """ "Where was he?" after "Who is Khoja?" is not answered by the sentence that said who
    he is, unless it also names a place: a follow-up that wants a phrase of some kind skips
    the previous answers that hold none. "Which hospital was it?" skips one that names
    nothing the question does not (names have no firm pattern: any new one will do)."""
    if not history or kind.kind not in TYPED_KINDS | {"name"}:
        return frozenset()
    firm = kind.kind != "name"

    def holds_one(text: str) -> bool:
        return bool(candidate_spans(kind, text, resolved, table.is_person, firm=firm))

    return _last_cited(table, history, unless=holds_one)


def _last_cited(
    table: SentenceTable, history: Sequence[Turn], unless: Callable[[str], bool]
) -> frozenset[int]:
    """The positions the last answer cited, less those whose text `unless` accepts."""
    return frozenset(
        position
        for citation in history[-1].answer.citations
        if (position := table.position_of(citation.sentence_id)) is not None
        and not unless(citation.text)
    )


def _answered_before(table: SentenceTable, history: Sequence[Turn]) -> frozenset[int]:
    """The previous answer's sentences and those before them in the same paragraph: a
    question that moves on ("next", "else") is answered past them."""
    excluded: set[int] = set()
    for citation in history[-1].answer.citations:
        position = table.position_of(citation.sentence_id)
        while position is not None and position >= 0:
            excluded.add(position)
            if position == 0 or not table.same_paragraph(position - 1, position):
                break
            position -= 1
    return frozenset(excluded)
