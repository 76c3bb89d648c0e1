"""Optional client libraries: imported on demand, a missing one named with its install command."""

from __future__ import annotations

import importlib
from typing import Any

from bot.errors import LLMError

INSTALL_HINT = "pip install 'articlebot[llm]'"


def require(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise LLMError(
            f"LLM support needs {module_name.replace('_', '-')}, which is not installed; "
            f"run: {INSTALL_HINT}"
        ) from None
