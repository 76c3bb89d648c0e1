"""A chat model that replies from a script and records what it was asked: a real LangChain
model, so the whole chain runs as it does with a real LLM."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChat(BaseChatModel):
    """Replies with `replies` in turn (the last one repeats); can be slow or fail."""

    replies: list[str] = Field(default_factory=lambda: ["NOT IN ARTICLE"])
    delay_seconds: float = 0.0
    error: str = ""
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(messages)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if self.error:
            raise ConnectionError(self.error)
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])
