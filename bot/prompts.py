"""Prompt and message templates, kept as files in prompts/ and loaded by name."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from bot.errors import ArticlebotError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def template(name: str, directory: Path = PROMPTS_DIR) -> string.Template:
    path = directory / f"{name}.txt"
    try:
        return string.Template(path.read_text("utf-8").strip())
    except OSError:
        raise ArticlebotError(f"Template {name!r} is missing from {directory}.") from None


def render(template_name: str, directory: Path = PROMPTS_DIR, /, **values: object) -> str:
    """Fill a template; a variable it names but is not given is an error, not a blank."""
    try:
        return template(template_name, directory).substitute({k: str(v) for k, v in values.items()})
    except KeyError as missing:
        raise ArticlebotError(f"Template {template_name!r} needs a value for {missing}.") from None
