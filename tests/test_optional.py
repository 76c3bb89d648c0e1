import pytest

from bot.errors import LLMError
from bot.optional import require


def test_a_missing_extra_names_its_install_command() -> None:
    with pytest.raises(LLMError, match=r"pip install 'articlebot\[llm\]'"):
        require("no_such_llm_client")


def test_an_installed_module_is_returned() -> None:
    assert require("json").dumps([1]) == "[1]"
