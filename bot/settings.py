"""One frozen settings object, built from env vars and flags at the edge."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Modules take what they need from here, never from os.environ."""

    index_dir: Path = PROJECT_ROOT / "index"
    article: Path = PROJECT_ROOT / "data" / "article.txt"
    model: str = DEFAULT_MODEL
    max_question_chars: int = 1000
    top_paragraphs: int = 4
    max_citations: int = 3
    history_turns: int = 6
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; None means 'keep the current value'."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def settings_from_env(env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
    """Settings from ARTICLEBOT_* variables, then flags on top (flags win)."""
    env = os.environ if env is None else env
    from_env: dict[str, Any] = {}
    if env.get("ARTICLEBOT_INDEX_DIR"):
        from_env["index_dir"] = Path(env["ARTICLEBOT_INDEX_DIR"])
    if env.get("ARTICLEBOT_MODEL"):
        from_env["model"] = env["ARTICLEBOT_MODEL"]
    if env.get("ARTICLEBOT_ARTICLE"):
        from_env["article"] = Path(env["ARTICLEBOT_ARTICLE"])
    return Settings().with_overrides(**from_env).with_overrides(**flags)
