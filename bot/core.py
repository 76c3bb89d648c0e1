"""The one core every frontend calls: `Answerer.answer(question, history) -> Answer`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import InputError


@dataclass(frozen=True)
class Citation:
    """A verbatim sentence of the article that backs the answer's marker [n]."""

    n: int
    source: str
    paragraph: int
    sentence: int
    text: str
    score: float
    sentence_id: str = ""
    document: str = ""  # the title of the document it comes from

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "document": self.document,
            "source": self.source,
            "paragraph": self.paragraph,
            "sentence": self.sentence,
            "text": self.text,
            "score": round(self.score, 4),
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

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "generator": self.generator,
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, kept as history for follow-ups."""

    question: str
    answer: Answer


def validate_question(question: object, max_chars: int) -> str:
    """The question stripped, or InputError with a one-line reason."""
    if not isinstance(question, str):
        raise InputError("The question must be text.")
    text = question.strip()
    if not text:
        raise InputError("The question is empty; type a question about the article.")
    if len(text) > max_chars:
        raise InputError(
            f"The question is too long ({len(text):,} characters; the limit is {max_chars:,})."
        )
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text) or "\ufffd" in text:
        raise InputError("The question contains characters that are not text.")
    return " ".join(text.split())


class Answerer:
    """Holds the loaded index and the retrieval chain; cheap to call, safe to share."""

    def __init__(self, index: Any, settings: Any, llm: Any = None) -> None:
        """With `llm` (a LangChain chat model), answers are generated and guarded."""
        from bot.retrieval import build_chain

        self.index = index
        self.settings = settings
        self.llm = llm
        if llm is None:
            self.chain = build_chain(index, settings)
        else:
            from bot.generate import build_llm_chain

            self.chain = build_llm_chain(index, settings, llm)

    def with_index(self, index: Any) -> Answerer:
        """The same answerer over another index (the old one keeps serving until swapped)."""
        return Answerer(index, self.settings, self.llm)

    def answer(
        self, question: str, history: Sequence[Turn] = (), source: str | None = None
    ) -> Answer:
        """Answer one question in the light of the conversation so far; `source` names one
        document of the index to answer from (see `ArticleIndex.find`)."""
        text = validate_question(question, self.settings.max_question_chars)
        document = None if source is None else self.index.find(source)
        recent = tuple(history)[-self.settings.history_turns :]
        inputs = {"question": text, "history": recent, "document": document}
        result: Answer = self.chain.invoke(inputs)
        return result
