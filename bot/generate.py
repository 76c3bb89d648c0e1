"""Answers written by an LLM, with every sentence checked by the citation guard.

The extractive chain still decides *whether* the article answers and *which* sentences do:
the LLM is asked only when it answers, so an LLM never turns a refusal into an answer the
article never gave. The LLM then phrases the answer from those sentences, numbered as
sources, and the guard keeps only what they support. A chosen sentence that no kept sentence
cites is added verbatim, so the answer cites exactly what retrieval chose. When nothing
survives, or the model fails, the extractive answer is given instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableLambda

from bot.guard import Guard, common_words, says_not_covered
from bot.llm import TimedLLM
from bot.prompts import render
from bot.retrieval import Extractive, Query
from bot.selector import Selector
from bot.text import content_terms, term_set
from bot.types import Answer, Claim, Turn

_ANSWER_SNIPPET = 300


class LLMChain:
    """The pieces of the LLM path, bound to one index and one model."""

    def __init__(
        self, index: Any, settings: Any, llm: BaseChatModel, selector: Selector | None = None
    ) -> None:
        self.extractive = Extractive(index, settings, selector)
        self.table = self.extractive.table
        self.settings = settings
        self.llm = TimedLLM(llm, settings.llm_timeout_seconds)
        self.is_common_word = common_words(self.table.text).__contains__

    def condense(self, inputs: dict[str, Any]) -> Query:
        """A follow-up rewritten by the LLM when the rewrite only uses words already in the
        conversation; otherwise the core's own rules."""
        question: str = inputs["question"]
        history: Sequence[Turn] = inputs.get("history", ())
        rewrite = self._rewrite(question, history) if history else ""
        return self.extractive.condense(inputs, rewrite)

    def _rewrite(self, question: str, history: Sequence[Turn]) -> str:
        transcript = "\n".join(
            f"User: {turn.question}\nBot: {turn.answer.text[:_ANSWER_SNIPPET]}" for turn in history
        )
        prompt = render("condense", history=transcript, question=question)
        reply = self.llm.ask([HumanMessage(prompt)])
        if reply is None:
            return ""
        candidate = reply.strip().splitlines()[0].strip(" \"'“”") if reply.strip() else ""
        return candidate if _faithful_rewrite(candidate, question, transcript) else ""

    def retrieve(self, query: Query) -> tuple[Query, Answer]:
        """The extractive answer, which decides whether and from what the LLM answers."""
        return query, self.extractive.answer(query)

    def generate(self, step: tuple[Query, Answer]) -> Answer:
        query, extractive = step
        if not extractive.answered:
            return extractive
        sources = [citation.text for citation in extractive.citations]
        reply = self.llm.ask(self._messages(query.resolved, sources))
        if reply is None:
            return _fallback(extractive, ())
        guard = Guard(sources, query.resolved, self.table.index.encoder.encode, self.is_common_word)
        claims = guard.check(reply)
        kept = [claim for claim in claims if claim.kept]
        if says_not_covered(reply) or not kept:
            return _fallback(extractive, claims)
        return _compose(extractive, kept, claims)

    @staticmethod
    def _messages(question: str, sources: Sequence[str]) -> list[BaseMessage]:
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(sources, start=1))
        return [
            SystemMessage(render("answer_system", sources=numbered)),
            HumanMessage(render("answer_user", question=question)),
        ]


def _compose(extractive: Answer, kept: list[Claim], claims: tuple[Claim, ...]) -> Answer:
    """The kept sentences, then, verbatim, any chosen sentence none of them cites: the answer
    cites exactly what retrieval chose, renumbered in order of first use."""
    by_text = {citation.text: citation for citation in extractive.citations}
    numbers: dict[str, int] = {}
    parts = []
    for claim in kept:
        markers = "".join(f"[{numbers.setdefault(t, len(numbers) + 1)}]" for t in claim.support)
        body, stop = _split_final_stop(claim.text)
        parts.append(f"{body} {markers}{stop}")
    for text in by_text:
        if text not in numbers:
            numbers[text] = len(numbers) + 1
            parts.append(f"{text} [{numbers[text]}]")
    citations = tuple(replace(by_text[text], n=n) for text, n in numbers.items())
    return replace(
        extractive, text=" ".join(parts), citations=citations, generator="llm", claims=claims
    )


def _faithful_rewrite(candidate: str, question: str, transcript: str) -> bool:
    """A rewrite keeps the follow-up's own words and question word, and adds only words the
    conversation used: otherwise it is a new question, not the same one made standalone."""
    if not candidate or len(candidate) > 2 * len(question) + 200:
        return False
    terms = set(content_terms(candidate))
    asked = re.search(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", question, re.I)
    if asked and asked.group(0).lower() not in candidate.lower():
        return False
    return set(content_terms(question)) <= terms <= term_set(f"{question} {transcript}")


def _split_final_stop(text: str) -> tuple[str, str]:
    """'It rained.' -> ('It rained', '.'), so a marker goes before the full stop."""
    match = re.search(r"[.!?]+$", text)
    return (text[: match.start()], match.group(0)) if match else (text, "")


def _fallback(extractive: Answer, claims: tuple[Claim, ...]) -> Answer:
    return replace(extractive, generator="fallback", claims=claims)


def build_llm_chain(
    index: Any, settings: Any, llm: BaseChatModel, selector: Selector | None = None
) -> Runnable[dict[str, Any], Answer]:
    chain = LLMChain(index, settings, llm, selector)
    steps = RunnableLambda(chain.condense) | RunnableLambda(chain.retrieve)
    return (steps | RunnableLambda(chain.generate)).with_config(run_name="articlebot-llm")
