"""The optional LLM: a spec such as `llamacpp:model.gguf` turned into a LangChain chat model.

Everything here is optional: the extra `articlebot[llm]` brings the client libraries, and a
missing one is named with its install command rather than failing at import.
"""

from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from bot.errors import ConfigError, LLMError
from bot.settings import Settings

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'articlebot[llm]'"
KINDS = ("none", "llamacpp", "openai", "ollama")
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


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
        return LlamaCppChat(
            model_path=str(Path(spec.target).expanduser()),
            max_tokens=settings.llm_max_tokens,
            n_threads=settings.llm_threads,
        )
    if spec.kind == "openai":
        return _openai(spec.target, settings)
    if spec.kind == "ollama":
        module = _require("langchain_ollama")
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
    module = _require("langchain_openai")
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


def _require(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise LLMError(
            f"LLM support needs {module_name.replace('_', '-')}, which is not installed; "
            f"run: {INSTALL_HINT}"
        ) from None


class LlamaCppChat(BaseChatModel):
    """A thin chat model over llama_cpp.Llama, in process (langchain-community's is sunset).

    Loading a small GGUF in process takes well under a second, against seconds for a server.
    """

    model_path: str
    max_tokens: int = 200
    n_ctx: int = 2048
    n_threads: int = 2
    _client: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any, /) -> None:
        path = Path(self.model_path)
        if not path.is_file():
            raise LLMError(f"LLM model file not found: {path}")
        llama_cpp = _require("llama_cpp")
        try:
            self._client = llama_cpp.Llama(
                model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
            )
        except (ValueError, RuntimeError, OSError):
            raise LLMError(f"{path} is not a GGUF model llama.cpp can load.") from None

    @property
    def _llm_type(self) -> str:
        return "llamacpp-articlebot"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        payload = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        with self._lock:  # one llama context is not safe to share between threads
            reply = self._client.create_chat_completion(
                messages=payload,
                max_tokens=self.max_tokens,
                temperature=0.0,
                seed=0,
                stop=stop,
            )
        content = reply["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])


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
