from pathlib import Path

import pytest

from bot.settings import Settings, settings_from_env


def test_env_then_flags() -> None:
    env = {"ARTICLEBOT_INDEX_DIR": "/tmp/a", "ARTICLEBOT_MODEL": "m1"}
    assert settings_from_env(env).index_dir == Path("/tmp/a")
    assert settings_from_env(env, model="m2", index_dir=None).model == "m2"
    assert settings_from_env({}).model == "all-MiniLM-L6-v2"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().model = "x"  # type: ignore[misc]
