"""The one core every frontend calls: `Answerer.answer(question, history) -> Answer`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any

from bot.errors import InputError
from bot.types import Answer, Turn


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
    # every control character (C0, DEL and C1, e.g. U+0085 or U+009B, a terminal's CSI)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise InputError("The question contains characters that are not text.")
    if "\ufffd" in text:
        raise InputError("The question contains characters that are not text.")
    return " ".join(text.split())


@cache
def _one_blas_thread() -> None:
    """An answer's matrix products are small (a few thousand token rows by a question's
    tokens): a second BLAS thread only adds its wake-up, and on a busy machine it waits for a
    core another question holds (8 ms instead of 1.5 for MaxSim's product, measured)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class Answerer:
    """Holds the loaded index and the retrieval chain; cheap to call, safe to share."""

    def __init__(self, index: Any, settings: Any, llm: Any = None, selector: Any = None) -> None:
        """With `llm` (a LangChain chat model), answers are generated and guarded. `selector`
        replaces the trained answer selector (evaluation of held-out folds)."""
        from bot.retrieval import build_chain

        _one_blas_thread()
        self.index = index
        self.settings = settings
        self.llm = llm
        self.selector = selector
        if llm is None:
            self.chain = build_chain(index, settings, selector)
        else:
            from bot.generate import build_llm_chain

            self.chain = build_llm_chain(index, settings, llm, selector)

    def with_index(self, index: Any) -> Answerer:
        """The same answerer over another index (the old one keeps serving until swapped)."""
        return Answerer(index, self.settings, self.llm, self.selector)

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
