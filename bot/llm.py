"""The optional LLM: a spec such as `llamacpp:model.gguf` turned into a LangChain chat model.

Everything here is optional: the extra `articlebot[llm]` brings the client libraries, and a
missing one is named with its install command rather than failing at import.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import ConfigError
from bot.optional import require
from bot.settings import Settings

if TYPE_CHECKING:  # LangChain's model classes cost half a second to import: not without --llm
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

log = logging.getLogger(__name__)
KINDS = ("none", "llamacpp", "openai", "ollama")


@dataclass(frozen=True)
class LLMSpec:
    kind: str
    target: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "none" else f"{self.kind}:{self.target}"


def parse_spec(text: str) -> LLMSpec:
    """'none', 'llamacpp:PATH.gguf', 'openai:MODEL' or 'ollama:MODEL'."""
    kind, _, target = text.strip().partition(":")
    kind = kind.lower()
    if kind in ("", "none") and not target:
        return LLMSpec("none")
    if kind not in KINDS[1:] or not target.strip():
        raise ConfigError(
            f"--llm must be none, llamacpp:PATH.gguf, openai:MODEL or ollama:MODEL, not {text!r}."
        )
    return LLMSpec(kind, target.strip())


def make_llm(settings: Settings) -> BaseChatModel | None:
    """The chat model the settings name, or None for extractive answers."""
    spec = parse_spec(settings.llm)
    if spec.kind == "llamacpp":
        from bot.llamacpp import LlamaCppChat

        return LlamaCppChat(
            model_path=str(Path(spec.target).expanduser()),
            max_tokens=settings.llm_max_tokens,
            n_threads=settings.llm_threads,
        )
    if spec.kind == "openai":
        return _openai(spec.target, settings)
    if spec.kind == "ollama":
        module = require("langchain_ollama")
        model: BaseChatModel = module.ChatOllama(
            model=spec.target,
            base_url=settings.ollama_base_url or None,
            temperature=0,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout_seconds},
        )
        return model
    return None


def _openai(model_name: str, settings: Settings) -> BaseChatModel:
    if not settings.openai_base_url and not settings.openai_api_key:
        raise ConfigError(
            "openai: needs OPENAI_BASE_URL (a local server) or OPENAI_API_KEY in the environment."
        )
    module = require("langchain_openai")
    model: BaseChatModel = module.ChatOpenAI(
        model=model_name,
        base_url=settings.openai_base_url or None,
        api_key=settings.openai_api_key or "not-needed",
        temperature=0,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
    )
    return model


class TimedLLM:
    """Calls a chat model with a deadline; any failure is logged and becomes None, so the
    caller falls back to the extractive answer and the user never waits forever."""

    def __init__(self, model: BaseChatModel, timeout_seconds: float, workers: int = 2) -> None:
        self.model = model
        self.timeout_seconds = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm")

    def ask(self, messages: list[BaseMessage]) -> str | None:
        future = self._pool.submit(self.model.invoke, messages)
        try:
            reply = future.result(timeout=self.timeout_seconds)
        except FutureTimeout:
            log.warning(
                "The LLM gave no reply within %g s; answering without it.", self.timeout_seconds
            )
            return None
        except Exception as error:  # any client failure means: answer without the LLM
            reason = " ".join(str(error).split())[:200] or type(error).__name__
            log.warning("The LLM failed (%s); answering without it.", reason)
            return None
        content = reply.content
        if not isinstance(content, str) or not content.strip():
            log.warning("The LLM returned no text; answering without it.")
            return None
        return content
