"""Shared fixtures: one real index of the default article per session, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core import Answerer
from bot.index import ArticleIndex, build_index
from bot.settings import PROJECT_ROOT, Settings

SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
ARTICLE = PROJECT_ROOT / "data" / "article.txt"


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, article=ARTICLE)


@pytest.fixture(scope="session")
def article_index(settings: Settings) -> ArticleIndex:
    return build_index(settings)


@pytest.fixture(scope="session")
def answerer(article_index: ArticleIndex, settings: Settings) -> Answerer:
    return Answerer(article_index, settings)


CliResult = subprocess.CompletedProcess[str]


@pytest.fixture()
def run_cli(article_index: ArticleIndex, index_dir: Path) -> Callable[..., CliResult]:
    """Run `python -m bot ARGS` against the session index; returns the finished process."""

    def run(
        *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        full_env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(index_dir), **(env or {})}
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=data if data is not None else b"",
            capture_output=True,
            env=full_env,
            cwd=PROJECT_ROOT,
            timeout=300,
        )
        return subprocess.CompletedProcess(
            done.args,
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )

    return run
