from pathlib import Path

import pytest

from bot.errors import ArticlebotError
from bot.prompts import render


def test_templates_load_by_name() -> None:
    assert render("refusal") == "The article doesn't say."


def test_missing_template_and_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(ArticlebotError, match="missing"):
        render("no_such_template")
    (tmp_path / "greeting.txt").write_text("Hello $name\n", "utf-8")
    assert render("greeting", tmp_path, name="you") == "Hello you"
    with pytest.raises(ArticlebotError, match="needs a value for 'name'"):
        render("greeting", tmp_path)
