"""llama.cpp in process, as a LangChain chat model (langchain-community's is being sunset)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from bot.errors import LLMError
from bot.optional import require

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


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
        llama_cpp = require("llama_cpp")
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
