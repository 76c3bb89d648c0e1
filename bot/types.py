"""The value types every layer shares: documents, answers, citations. Imports nothing of ours,
so any module may use them without reaching upwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Raw:
    """Bytes of a source before parsing, with what is known about their kind."""

    source: str
    data: bytes
    kind: str  # "text", "markdown" or "html"
    charset: str = ""
    sha256: str = ""  # of the bytes as stored (a .gz file's, not its contents')


@dataclass(frozen=True)
class Sentence:
    """One citable sentence. Numbers are 1-based; `role` says what kind of line it is."""

    id: str
    paragraph: int
    number: int
    text: str
    start: int
    end: int
    role: str = "body"


@dataclass(frozen=True)
class Paragraph:
    number: int
    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]
    role: str = "body"


@dataclass(frozen=True)
class Document:
    source: str
    title: str
    text: str
    sha256: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for p in self.paragraphs for s in p.sentences)

    @property
    def date(self) -> str:
        """The first dateline, if the article has one."""
        return next((p.text for p in self.paragraphs if p.role == "dateline"), "")


@dataclass(frozen=True)
class Citation:
    """A verbatim sentence of the article that backs the answer's marker [n].

    `answer_span` is the (start, end) of the phrase in `text` that answers (a number, a date,
    a name, a place), or None when no single phrase does.
    """

    n: int
    source: str
    paragraph: int
    sentence: int
    text: str
    score: float
    sentence_id: str = ""
    document: str = ""  # the title of the document it comes from
    answer_span: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "document": self.document,
            "source": self.source,
            "paragraph": self.paragraph,
            "sentence": self.sentence,
            "text": self.text,
            "score": round(self.score, 4),
            "answer_span": list(self.answer_span) if self.answer_span else None,
        }


@dataclass(frozen=True)
class Claim:
    """One sentence an LLM wrote and the guard's verdict on it. Kept for evaluation; only
    kept claims reach the user.

    `cited` is what the model cited (markers in range, as source texts); `support` is what
    the delivered sentence cites (empty when dropped; attached by the guard when post hoc).
    """

    text: str
    cited: tuple[str, ...]
    support: tuple[str, ...] = ()
    reason: str = ""

    @property
    def kept(self) -> bool:
        return bool(self.support)


@dataclass(frozen=True)
class Answer:
    """An answer made of cited sentences, or an honest refusal (answered=False, no citations).

    `confidence` is the calibrated probability that the best sentence answers the question.
    `closest` holds the nearest passages of a refusal: shown as "not an answer", never cited.
    """

    question: str
    text: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    resolved_question: str = ""
    closest: tuple[Citation, ...] = field(default=(), compare=False)
    # "extractive", "llm", or "fallback" (an LLM was asked, but its answer did not pass)
    generator: str = "extractive"
    claims: tuple[Claim, ...] = field(default=(), compare=False)
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "generator": self.generator,
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, kept as history for follow-ups."""

    question: str
    answer: Answer
