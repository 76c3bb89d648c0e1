"""A bounded memo for lookups keyed by user input: remembered until full, then forgotten at once.

Clearing when full (rather than least-recently-used order) keeps a hit to one dict lookup, and
the memory bounded however many distinct questions arrive. Safe to share between threads: a
race only computes a value twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class BoundedMemo(Generic[Key, Value]):
    """`make(key)`, remembered for at most `size` keys."""

    def __init__(self, make: Callable[[Key], Value], size: int) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one key")
        self._make = make
        self._size = size
        self._values: dict[Key, Value] = {}

    def __call__(self, key: Key) -> Value:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._make(key)
        if len(self._values) >= self._size:
            self._values.clear()
        self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
