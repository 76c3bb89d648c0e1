"""One frozen settings object, built from env vars and flags at the edge."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

_URL = re.compile(r"https?://", re.I)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"
# how a user sets a field, for the error that names it
_SET_BY = {
    "rate_limit": "ARTICLEBOT_RATE_LIMIT",
    "rate_window_seconds": "ARTICLEBOT_RATE_LIMIT",
    "telegram_max_rate": "ARTICLEBOT_TELEGRAM_MAX_RATE",
    "llm_timeout_seconds": "--llm-timeout or ARTICLEBOT_LLM_TIMEOUT",
    "webhook_port": "--port",
    "min_confidence": "--min-confidence or ARTICLEBOT_MIN_CONFIDENCE",
    "read_quota": "ARTICLEBOT_READ_QUOTA",
    "read_window_seconds": "ARTICLEBOT_READ_QUOTA",
    "chat_articles": "ARTICLEBOT_CHAT_ARTICLES",
    "state_budget_mb": "ARTICLEBOT_STATE_BUDGET_MB",
    "max_file_mb": "ARTICLEBOT_MAX_FILE_MB",
    "max_read_words": "ARTICLEBOT_MAX_READ_WORDS",
    "read_workers": "ARTICLEBOT_READ_WORKERS",
    "store_timeout_seconds": "ARTICLEBOT_STORE_TIMEOUT",
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Modules take what they need from here, never from os.environ."""

    index_dir: Path = PROJECT_ROOT / "index"
    # the ONNX query encoders, one per model, shared by every index (bot.onnx_export)
    cache_dir: Path = Path.home() / ".cache" / "articlebot"
    article: Path | str = PROJECT_ROOT / "data" / "article.txt"  # a file, or an http(s) URL
    model: str = DEFAULT_MODEL
    max_question_chars: int = 1000
    # the confidence an answer needs; None: the bar the selector was trained with
    min_confidence: float | None = None
    history_turns: int = 6
    # where the paragraph vectors live: "faiss" (in the index directory),
    # "milvus-lite:PATH.db" (Milvus Lite, in process) or "milvus://HOST:PORT" (a server)
    store: str = "faiss"
    store_timeout_seconds: float = 10.0  # connecting to Milvus, and each call to it
    milvus_token: str = field(default="", repr=False)  # "user:password" or an API key
    # Telegram
    telegram_token: str = field(default="", repr=False)
    telegram_base_url: str = ""
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    allowed_chats: frozenset[int] | None = None
    admin_users: frozenset[int] = frozenset()  # user ids of the operators, who may /load
    allow_private_urls: bool = False
    rate_limit: int = 10  # questions per user ...
    rate_window_seconds: float = 60.0  # ... in this window
    history_ttl_seconds: float = 1800.0
    answer_workers: int = 4
    # Telegram's own limit on messages per second; raise it only for a server of your own.
    telegram_max_rate: float = 30.0
    # articles that chats hand the bot (a link, /read, a file), kept under the state directory
    state_dir: Path = PROJECT_ROOT / "state"
    read_quota: int = 5  # articles a user may hand the bot ...
    read_window_seconds: float = 3600.0  # ... in this window
    chat_articles: int = 3  # per chat; a new one beyond this replaces the oldest
    state_budget_mb: float = 500.0  # disk for the chats' articles; least recently used go first
    max_file_mb: float = 5.0  # a file sent to the bot
    # an article's words: embedding 150,000 took 1.56 GB and 153 s of 2 cores
    max_read_words: int = 60_000
    read_workers: int = 2  # articles read and embedded at once, apart from answering
    # Optional LLM: "none", "llamacpp:PATH.gguf", "openai:MODEL" or "ollama:MODEL"
    llm: str = "none"
    llm_timeout_seconds: float = 60.0
    llm_max_tokens: int = 200
    llm_threads: int = 2
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    ollama_base_url: str = ""

    def __post_init__(self) -> None:
        """Every number is finite and above zero: a NaN window or an infinite time-out would
        quietly switch a limit off."""
        for item in fields(self):
            value = getattr(self, item.name)
            name = item.name
            label = f"{name} ({_SET_BY[name]})" if name in _SET_BY else name
            if name == "min_confidence":
                if value is not None:
                    parse_share(str(value), label)  # a probability: 0 answers everything
            elif name == "store":
                parse_store(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                check_positive(value, label)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; None means 'keep the current value'."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def settings_from_env(env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
    """Settings from ARTICLEBOT_* variables, then flags on top (flags win)."""
    env = os.environ if env is None else env
    from_env: dict[str, Any] = {}
    if env.get("ARTICLEBOT_INDEX_DIR"):
        from_env["index_dir"] = Path(env["ARTICLEBOT_INDEX_DIR"])
    if env.get("ARTICLEBOT_CACHE_DIR"):
        from_env["cache_dir"] = _directory(env["ARTICLEBOT_CACHE_DIR"], "ARTICLEBOT_CACHE_DIR")
    elif env.get("XDG_CACHE_HOME"):
        from_env["cache_dir"] = _directory(env["XDG_CACHE_HOME"], "XDG_CACHE_HOME") / "articlebot"
    if env.get("ARTICLEBOT_MODEL"):
        from_env["model"] = env["ARTICLEBOT_MODEL"]
    if env.get("ARTICLEBOT_ARTICLE"):
        article = env["ARTICLEBOT_ARTICLE"]
        # a URL stays a URL: as a Path, "http://host/a" became the file "http:/host/a"
        from_env["article"] = article if _URL.match(article) else Path(article)
    if env.get("ARTICLEBOT_MIN_CONFIDENCE", "").strip():
        from_env["min_confidence"] = parse_share(
            env["ARTICLEBOT_MIN_CONFIDENCE"], "ARTICLEBOT_MIN_CONFIDENCE"
        )
    from_env |= _telegram_env(env) | _llm_env(env) | _store_env(env)
    return Settings().with_overrides(**from_env).with_overrides(**flags)


def _directory(value: str, name: str) -> Path:
    """A directory setting: one that names a file is refused now, in one line (the encoder
    cache under /etc/passwd failed later with a logged warning and two notices)."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name}={value} is a file, not a directory.")
    return path


def _telegram_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if env.get("TELEGRAM_BOT_TOKEN", "").strip():
        values["telegram_token"] = env["TELEGRAM_BOT_TOKEN"].strip()
    if env.get("ARTICLEBOT_WEBHOOK_SECRET"):
        values["webhook_secret"] = env["ARTICLEBOT_WEBHOOK_SECRET"]
    if env.get("ARTICLEBOT_ALLOWED_CHATS", "").strip():
        values["allowed_chats"] = parse_chat_ids(env["ARTICLEBOT_ALLOWED_CHATS"])
    if env.get("ARTICLEBOT_ADMIN_CHATS", "").strip():
        # any member of a listed group could /load: refuse to guess what was meant
        raise ConfigError(
            "ARTICLEBOT_ADMIN_CHATS is replaced by ARTICLEBOT_ADMINS: /load is now allowed "
            "to users, not chats; list the operators' user ids there."
        )
    if env.get("ARTICLEBOT_ADMINS", "").strip():
        values["admin_users"] = parse_user_ids(env["ARTICLEBOT_ADMINS"], "ARTICLEBOT_ADMINS")
    if env.get("ARTICLEBOT_TELEGRAM_MAX_RATE"):
        values["telegram_max_rate"] = parse_positive(
            env["ARTICLEBOT_TELEGRAM_MAX_RATE"], "ARTICLEBOT_TELEGRAM_MAX_RATE"
        )
    if env.get("ARTICLEBOT_RATE_LIMIT"):
        values["rate_limit"], values["rate_window_seconds"] = parse_rate(
            env["ARTICLEBOT_RATE_LIMIT"], "ARTICLEBOT_RATE_LIMIT"
        )
    return values | _reading_env(env)


def _reading_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The bounds on the articles chats hand the bot."""
    values: dict[str, Any] = {}
    if env.get("ARTICLEBOT_STATE_DIR", "").strip():
        values["state_dir"] = Path(env["ARTICLEBOT_STATE_DIR"].strip())
    if env.get("ARTICLEBOT_READ_QUOTA"):
        values["read_quota"], values["read_window_seconds"] = parse_rate(
            env["ARTICLEBOT_READ_QUOTA"], "ARTICLEBOT_READ_QUOTA"
        )
    for var, name in (
        ("ARTICLEBOT_CHAT_ARTICLES", "chat_articles"),
        ("ARTICLEBOT_READ_WORKERS", "read_workers"),
        ("ARTICLEBOT_MAX_READ_WORDS", "max_read_words"),
    ):
        if env.get(var, "").strip():
            values[name] = parse_count(env[var], var)
    for var, name in (
        ("ARTICLEBOT_STATE_BUDGET_MB", "state_budget_mb"),
        ("ARTICLEBOT_MAX_FILE_MB", "max_file_mb"),
    ):
        if env.get(var, "").strip():
            values[name] = parse_positive(env[var], var)
    return values


def _llm_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if env.get("ARTICLEBOT_LLM", "").strip():
        values["llm"] = env["ARTICLEBOT_LLM"].strip()
    if env.get("ARTICLEBOT_LLM_TIMEOUT"):
        values["llm_timeout_seconds"] = parse_positive(
            env["ARTICLEBOT_LLM_TIMEOUT"], "ARTICLEBOT_LLM_TIMEOUT"
        )
    names = {
        "OPENAI_BASE_URL": "openai_base_url",
        "OPENAI_API_KEY": "openai_api_key",
        "OLLAMA_HOST": "ollama_base_url",
    }
    values |= {name: env[var].strip() for var, name in names.items() if env.get(var, "").strip()}
    return values


def _store_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if env.get("ARTICLEBOT_STORE", "").strip():
        values["store"] = env["ARTICLEBOT_STORE"].strip()
    if env.get("ARTICLEBOT_STORE_TIMEOUT", "").strip():
        values["store_timeout_seconds"] = parse_positive(
            env["ARTICLEBOT_STORE_TIMEOUT"], "ARTICLEBOT_STORE_TIMEOUT"
        )
    if env.get("ARTICLEBOT_MILVUS_TOKEN", "").strip():
        values["milvus_token"] = env["ARTICLEBOT_MILVUS_TOKEN"].strip()
    return values


@dataclass(frozen=True)
class StoreSpec:
    """A parsed --store: its kind ("faiss", "milvus-lite", "milvus") and, for Milvus, the
    URI pymilvus connects to (a Milvus Lite file, or http://HOST:PORT)."""

    kind: str
    uri: str = ""


_STORE_FORMS = "faiss, milvus-lite:PATH.db or milvus://HOST:PORT"


def parse_store(text: str) -> StoreSpec:
    """'faiss', 'milvus-lite:PATH.db' or 'milvus://HOST:PORT', or a one-line error."""
    text = text.strip()
    if text == "faiss":
        return StoreSpec("faiss")
    if text.startswith("milvus-lite:"):
        path = text.removeprefix("milvus-lite:")
        # pymilvus takes a URI ending in .db for Milvus Lite and anything else for a server
        if not path.endswith(".db") or len(path) <= 3:
            raise ConfigError(
                f"--store milvus-lite:PATH needs a file name ending in .db, not {text!r}."
            )
        return StoreSpec("milvus-lite", str(Path(path).expanduser().resolve()))
    if text.startswith("milvus://"):
        host, _, port = text.removeprefix("milvus://").rstrip("/").rpartition(":")
        if (
            not host
            or "/" in host
            or "@" in host
            or not port.isdigit()
            or not 0 < int(port) < 65536
        ):
            raise ConfigError(f"--store milvus://HOST:PORT needs a host and a port, not {text!r}.")
        return StoreSpec("milvus", f"http://{host}:{int(port)}")
    raise ConfigError(f"--store (or ARTICLEBOT_STORE) must be {_STORE_FORMS}, not {text!r}.")


def parse_chat_ids(text: str, name: str = "ARTICLEBOT_ALLOWED_CHATS") -> frozenset[int]:
    """'123, -100456' -> {123, -100456}; anything else is a clear error."""
    try:
        return frozenset(int(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise ConfigError(
            f"{name} must be numeric ids separated by commas, not {text!r}."
        ) from None


def parse_user_ids(text: str, name: str) -> frozenset[int]:
    """'123, 456' -> {123, 456}: user ids are positive (a negative id is a group)."""
    ids = parse_chat_ids(text, name)
    if any(i <= 0 for i in ids):
        raise ConfigError(f"{name} must be user ids (positive numbers), not {text!r}.")
    return ids


def parse_rate(text: str, name: str = "ARTICLEBOT_RATE_LIMIT") -> tuple[int, float]:
    """'10/60' -> 10 questions per 60 seconds."""
    try:
        count, seconds = text.split("/")
        parsed = int(count), float(seconds)
    except ValueError:
        raise ConfigError(f"{name} looks like 10/60 (questions/seconds), not {text!r}.") from None
    if parsed[0] < 1 or not math.isfinite(parsed[1]) or parsed[1] <= 0:
        raise ConfigError(f"{name} needs a finite, positive count and seconds, not {text!r}.")
    return parsed


def file_url_for(base_url: str) -> str:
    """The Bot API file URL that goes with `base_url`, as python-telegram-bot pairs them:
    'http://host:8081/bot' -> 'http://host:8081/file/bot' ('{token}' kept where it is);
    '' when the base URL has no '/bot' to pair with (the library's default then applies)."""
    at = base_url.rfind("/bot")
    return f"{base_url[:at]}/file{base_url[at:]}" if at >= 0 else ""


def read_token_file(path: Path) -> str:
    try:
        token = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"Cannot read the token file {path}.") from None
    if not token:
        raise ConfigError(f"The token file {path} is empty.")
    return token


def parse_share(text: str, name: str) -> float:
    """A number from 0 to 1, or a one-line error naming the setting."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a number from 0 to 1, not {text!r}.")
    return value


def parse_count(text: str, name: str) -> int:
    """A whole number above zero, or a one-line error naming the setting."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name} must be a whole number above 0, not {text!r}.")
    return value


def parse_positive(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    check_positive(value, name, shown=text)
    return value


def check_positive(value: float, name: str, shown: object = None) -> None:
    """A finite number above zero, or a one-line error that names the setting."""
    if not math.isfinite(value) or value <= 0:
        shown = value if shown is None else shown
        raise ConfigError(f"{name} must be a finite number above 0, not {shown!r}.")
