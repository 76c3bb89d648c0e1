"""The options the subcommands share, and the one Settings they are turned into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.settings import Settings, settings_from_env

F = TypeVar("F", bound=Callable[..., Any])


def common_options(command: F) -> F:
    """--index-dir, --model and --store on every subcommand, placed after it."""
    command = click.option(
        "--store",
        default=None,
        metavar="SPEC",
        expose_value=False,  # kept in the context for make_settings: no command needs it
        callback=lambda ctx, _param, value: ctx.meta.__setitem__("articlebot.store", value),
        help="Paragraph vectors: faiss (default), milvus-lite:PATH.db or milvus://HOST:PORT "
        "(or $ARTICLEBOT_STORE).",
    )(command)
    command = click.option(
        "--model",
        default=None,
        help="Sentence-transformers model: local path or name (default: bundled all-MiniLM-L6-v2).",
    )(command)
    command = click.option(
        "--index-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Index directory (default: $ARTICLEBOT_INDEX_DIR or index/).",
    )(command)
    return command


def answer_options(command: F) -> F:
    """--min-confidence, --llm and --llm-timeout, on the commands that answer questions."""
    command = click.option(
        "--min-confidence",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        help="Answer only when the selector is at least this sure (0-1; default: the bar "
        "chosen in training, or $ARTICLEBOT_MIN_CONFIDENCE). Higher: fewer, surer answers.",
    )(command)
    command = click.option(
        "--llm-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="Seconds to wait for the LLM before answering without it (default 60).",
    )(command)
    command = click.option(
        "--llm",
        default=None,
        metavar="SPEC",
        help="none (default), llamacpp:PATH.gguf, openai:MODEL or ollama:MODEL "
        "(or $ARTICLEBOT_LLM). Every generated sentence is checked against its citations.",
    )(command)
    return command


def make_settings(
    index_dir: Path | None,
    model: str | None,
    llm: str | None = None,
    llm_timeout: float | None = None,
    min_confidence: float | None = None,
) -> Settings:
    from bot.llm import parse_spec

    settings = settings_from_env(
        index_dir=index_dir,
        model=model,
        llm=llm,
        llm_timeout_seconds=llm_timeout,
        min_confidence=min_confidence,
        store=click.get_current_context().meta.get("articlebot.store"),
    )
    parse_spec(settings.llm)  # a malformed spec fails before anything loads
    return settings
