import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import Answerer
from bot.errors import ConfigError, LLMError
from bot.index import ArticleIndex
from bot.llamacpp import LlamaCppChat
from bot.llm import LLMSpec, make_llm, parse_spec
from bot.settings import Settings

QUESTION = "How many flights did the Russian jets conduct?"


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("none", LLMSpec("none")),
        ("", LLMSpec("none")),
        ("llamacpp:/m/model.gguf", LLMSpec("llamacpp", "/m/model.gguf")),
        ("OpenAI:gpt-4o-mini", LLMSpec("openai", "gpt-4o-mini")),
        ("ollama:llama3.2:1b", LLMSpec("ollama", "llama3.2:1b")),
    ],
)
def test_specs_are_parsed(text: str, spec: LLMSpec) -> None:
    assert parse_spec(text) == spec


@pytest.mark.parametrize("text", ["gpt4", "llamacpp:", "claude:opus", "none:x"])
def test_a_malformed_spec_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--llm must be"):
        parse_spec(text)


def test_none_means_no_model() -> None:
    assert make_llm(Settings()) is None


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LLMError, match="not found"):
        make_llm(Settings(llm=f"llamacpp:{tmp_path / 'nope.gguf'}"))


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF but not really" * 100)
    with pytest.raises(LLMError, match="not a GGUF model"):
        make_llm(Settings(llm=f"llamacpp:{junk}"))


def test_openai_needs_somewhere_to_go() -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        make_llm(Settings(llm="openai:any"))


def test_the_bundled_model_runs_in_process(smollm2: LlamaCppChat) -> None:
    reply = smollm2.invoke("Reply with one word: hello.")
    assert isinstance(reply.content, str) and reply.content.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the LLM server exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"the LLM server did not listen on {port} within {seconds} s")


@pytest.fixture(scope="module")
def openai_server(gguf_path: Path) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2, on 127.0.0.1 only."""
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")
    port = free_port()
    server = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path)]
    process = subprocess.Popen(
        [*server, "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, seconds=60)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_bundled_model_answers_through_an_openai_compatible_server(
    openai_server: str, article_index: ArticleIndex, settings: Settings
) -> None:
    configured = replace(settings, llm="openai:smollm2", openai_base_url=openai_server)
    answer = Answerer(article_index, configured, make_llm(configured)).answer(QUESTION)
    assert answer.answered and answer.generator in ("llm", "fallback")
    assert answer.claims, "the server replied, so the guard had sentences to judge"
    assert "20 flights" in " ".join(c.text for c in answer.citations)


@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_an_unreachable_server_falls_back_with_a_warning(
    kind: str,
    article_index: ArticleIndex,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    configured = replace(
        settings,
        llm=f"{kind}:any-model",
        openai_base_url=f"{closed}/v1",
        ollama_base_url=closed,
        llm_timeout_seconds=10,
    )
    with caplog.at_level(logging.WARNING):
        answer = Answerer(article_index, configured, make_llm(configured)).answer(QUESTION)
    assert answer.answered and answer.generator == "fallback"
    assert "answering without it" in caplog.text
