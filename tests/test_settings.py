from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, settings_from_env


def test_env_then_flags() -> None:
    env = {"ARTICLEBOT_INDEX_DIR": "/tmp/a", "ARTICLEBOT_MODEL": "m1"}
    assert settings_from_env(env).index_dir == Path("/tmp/a")
    assert settings_from_env(env, model="m2", index_dir=None).model == "m2"
    assert settings_from_env({}).model == "all-MiniLM-L6-v2"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().model = "x"  # type: ignore[misc]


def test_llm_settings_from_env() -> None:
    settings = settings_from_env(
        {
            "ARTICLEBOT_LLM": "openai:m",
            "ARTICLEBOT_LLM_TIMEOUT": "5",
            "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
            "OPENAI_API_KEY": "sk-secret",
        }
    )
    assert (settings.llm, settings.llm_timeout_seconds) == ("openai:m", 5.0)
    assert settings.openai_base_url == "http://127.0.0.1:8000/v1"
    assert "sk-secret" not in repr(settings)
    assert settings_from_env({"ARTICLEBOT_LLM": "openai:m"}, llm="none").llm == "none"


def test_admins_are_users_from_env() -> None:
    from bot.errors import ConfigError

    settings = settings_from_env({"ARTICLEBOT_ADMINS": "12, 345"})
    assert settings.admin_users == frozenset({12, 345})
    assert Settings().admin_users == frozenset() and not Settings().allow_private_urls
    with pytest.raises(ConfigError, match="ARTICLEBOT_ADMINS must be numeric ids"):
        settings_from_env({"ARTICLEBOT_ADMINS": "alice"})
    with pytest.raises(ConfigError, match="ARTICLEBOT_ADMINS must be user ids"):
        settings_from_env({"ARTICLEBOT_ADMINS": "12, -100345"})  # a group: any member could
    with pytest.raises(ConfigError, match="replaced by ARTICLEBOT_ADMINS"):
        settings_from_env({"ARTICLEBOT_ADMIN_CHATS": "12"})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ARTICLEBOT_RATE_LIMIT": "10/nan"}, "ARTICLEBOT_RATE_LIMIT"),
        ({"ARTICLEBOT_RATE_LIMIT": "10/inf"}, "ARTICLEBOT_RATE_LIMIT"),
        ({"ARTICLEBOT_RATE_LIMIT": "10/-1"}, "ARTICLEBOT_RATE_LIMIT"),
        ({"ARTICLEBOT_LLM_TIMEOUT": "nan"}, "ARTICLEBOT_LLM_TIMEOUT"),
        ({"ARTICLEBOT_LLM_TIMEOUT": "inf"}, "ARTICLEBOT_LLM_TIMEOUT"),
        ({"ARTICLEBOT_TELEGRAM_MAX_RATE": "Infinity"}, "ARTICLEBOT_TELEGRAM_MAX_RATE"),
        ({"ARTICLEBOT_TELEGRAM_MAX_RATE": "0"}, "ARTICLEBOT_TELEGRAM_MAX_RATE"),
    ],
)
def test_numeric_settings_are_finite_and_positive(env: dict[str, str], named: str) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=named) as raised:
        settings_from_env(env)
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("llm_timeout_seconds", float("inf")),
        ("llm_timeout_seconds", float("nan")),
        ("rate_window_seconds", 0.0),
        ("history_turns", -1),
        ("answer_workers", 0),
    ],
)
def test_a_flag_or_a_constructed_setting_is_checked_too(field: str, value: float) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=field):
        settings_from_env({}, **{field: value})
    with pytest.raises(ConfigError, match=field):
        Settings(**{field: value})


@pytest.mark.parametrize("text", ["nan", "1.5", "-0.1", "inf", "high"])
def test_min_confidence_is_a_probability(text: str) -> None:
    with pytest.raises(ConfigError, match="ARTICLEBOT_MIN_CONFIDENCE"):
        settings_from_env({"ARTICLEBOT_MIN_CONFIDENCE": text})


def test_min_confidence_from_the_environment_and_zero_answers_everything() -> None:
    assert settings_from_env({"ARTICLEBOT_MIN_CONFIDENCE": "0.6"}).min_confidence == 0.6
    assert settings_from_env({"ARTICLEBOT_MIN_CONFIDENCE": "0"}).min_confidence == 0.0
    assert settings_from_env({}).min_confidence is None


def test_the_encoder_cache_follows_xdg_unless_named() -> None:
    assert settings_from_env({"XDG_CACHE_HOME": "/x"}).cache_dir == Path("/x/articlebot")
    named = {"XDG_CACHE_HOME": "/x", "ARTICLEBOT_CACHE_DIR": "/y"}
    assert settings_from_env(named).cache_dir == Path("/y")
    assert settings_from_env({}).cache_dir == Path.home() / ".cache" / "articlebot"


def test_the_file_url_pairs_with_the_base_url_as_python_telegram_bot_does() -> None:
    from bot.settings import file_url_for

    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url_for("https://api.example/bot{token}/test") == (
        "https://api.example/file/bot{token}/test"
    )
    assert file_url_for("http://127.0.0.1:8081/") == ""


def test_the_reading_bounds_come_from_the_environment_and_are_checked() -> None:
    from bot.errors import ConfigError

    env = {
        "ARTICLEBOT_READ_QUOTA": "2/60",
        "ARTICLEBOT_CHAT_ARTICLES": "4",
        "ARTICLEBOT_STATE_BUDGET_MB": "1.5",
        "ARTICLEBOT_MAX_FILE_MB": "0.25",
        "ARTICLEBOT_STATE_DIR": "/tmp/chats",
        "ARTICLEBOT_MAX_READ_WORDS": "20000",
    }
    settings = settings_from_env(env)
    assert settings.max_read_words == 20_000
    assert (settings.read_quota, settings.read_window_seconds) == (2, 60.0)
    assert settings.chat_articles == 4 and settings.state_budget_mb == 1.5
    assert settings.max_file_mb == 0.25 and str(settings.state_dir) == "/tmp/chats"
    for name, bad in (
        ("ARTICLEBOT_CHAT_ARTICLES", "0"),
        ("ARTICLEBOT_CHAT_ARTICLES", "two"),
        ("ARTICLEBOT_MAX_READ_WORDS", "-5"),
        ("ARTICLEBOT_STATE_BUDGET_MB", "nan"),
        ("ARTICLEBOT_MAX_FILE_MB", "-1"),
        ("ARTICLEBOT_READ_QUOTA", "5/inf"),
    ):
        with pytest.raises(ConfigError, match=name):
            settings_from_env({name: bad})


def test_store_from_env_and_flags() -> None:
    from bot.settings import StoreSpec, parse_store

    assert settings_from_env({}).store == "faiss"
    env = {"ARTICLEBOT_STORE": "milvus://db.internal:19530", "ARTICLEBOT_MILVUS_TOKEN": "u:pw"}
    settings = settings_from_env(env)
    assert parse_store(settings.store) == StoreSpec("milvus", "http://db.internal:19530")
    assert "u:pw" not in repr(settings)
    assert settings_from_env(env, store="faiss").store == "faiss"
    lite = parse_store("milvus-lite:/tmp/a/archive.db")
    assert lite == StoreSpec("milvus-lite", "/tmp/a/archive.db")
    assert settings_from_env({"ARTICLEBOT_STORE_TIMEOUT": "2.5"}).store_timeout_seconds == 2.5


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("chroma", "must be faiss, milvus-lite:PATH.db or milvus://HOST:PORT"),
        ("milvus-lite:", "ending in .db"),
        ("milvus-lite:/tmp/archive", "ending in .db"),
        ("milvus://db.internal", "needs a host and a port"),
        ("milvus://:19530", "needs a host and a port"),
        ("milvus://db.internal:99999", "needs a host and a port"),
        ("milvus://user@db.internal:19530", "needs a host and a port"),
    ],
)
def test_a_malformed_store_is_one_line(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        settings_from_env({"ARTICLEBOT_STORE": value})
    assert "\n" not in caught.value.message
    with pytest.raises(ConfigError, match=says):
        Settings(store=value)


def test_a_store_timeout_must_be_finite_and_positive() -> None:
    for value in ("0", "nan", "inf", "soon"):
        with pytest.raises(ConfigError, match="ARTICLEBOT_STORE_TIMEOUT"):
            settings_from_env({"ARTICLEBOT_STORE_TIMEOUT": value})


def test_the_default_article_may_be_a_url() -> None:
    url = "https://example.org/news/story.html"
    assert settings_from_env({"ARTICLEBOT_ARTICLE": url}).article == url
    assert settings_from_env({"ARTICLEBOT_ARTICLE": "story.txt"}).article == Path("story.txt")


def test_a_cache_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    for name in ("ARTICLEBOT_CACHE_DIR", "XDG_CACHE_HOME"):
        with pytest.raises(ConfigError, match="is a file, not a directory"):
            settings_from_env({name: str(afile)})
    assert settings_from_env({"ARTICLEBOT_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
