"""Many numpy arrays in one file, read back memory-mapped: nothing is copied at load.

Layout: the magic `ABT1`, the header's length (8 bytes, little endian), a JSON header naming
each array's dtype, shape and offset, then the arrays, each aligned to 64 bytes. Only plain
numeric and byte dtypes are allowed, so nothing in the file can run code (no pickle).
"""

from __future__ import annotations

import itertools
import json
import mmap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"ABT1"
_ALIGN = 64
_KINDS = "biufS"  # bool, integers, floats, fixed-width bytes


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` to `path` (the caller flushes it to disk)."""
    header: dict[str, Any] = {}
    offset = 0
    for name, array in arrays.items():
        if array.dtype.kind not in _KINDS:
            raise ValueError(f"{name}: dtype {array.dtype} cannot be stored")
        offset = -(-offset // _ALIGN) * _ALIGN
        header[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
    encoded = json.dumps(header).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(encoded)) // _ALIGN) * _ALIGN
    with open(path, "wb") as handle:
        handle.write(MAGIC + len(encoded).to_bytes(8, "little") + encoded)
        for name, array in arrays.items():
            handle.seek(start + header[name]["offset"])
            handle.write(np.ascontiguousarray(array).tobytes())
        handle.truncate(start + offset)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of `path`, read-only views of one memory map; ValueError when damaged."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size < len(MAGIC) + 8:
            raise ValueError(f"{path.name} is cut short")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if mapped[:4] != MAGIC:
        raise ValueError(f"{path.name} is not an array file")
    length = int.from_bytes(mapped[4:12], "little")
    header = json.loads(bytes(mapped[12 : 12 + length]).decode("utf-8"))
    start = -(-(12 + length) // _ALIGN) * _ALIGN
    return {name: _view(mapped, start, name, entry, size) for name, entry in header.items()}


def release(array: np.ndarray) -> None:
    """Take every page of the map that `array` lies in out of this process's resident set:
    they stay in the page cache, so the next read is a minor fault. A question reads a few
    hundred scattered rows (token codes, vectors, text), but each page fault maps the cached
    pages around it too (fault-around, which MADV_RANDOM does not stop), so without this an
    archive's arrays piled up in RSS, a few MB a question. No-op if `array` is not mapped."""
    mapped = array.base
    while mapped is not None and not isinstance(mapped, mmap.mmap):
        mapped = getattr(mapped, "base", getattr(mapped, "obj", None))
    if mapped is not None and hasattr(mmap, "MADV_DONTNEED") and len(mapped):
        mapped.madvise(mmap.MADV_DONTNEED)


class EveryFew:
    """`release`, done on every `every`-th call only. Each release costs the next question its
    page faults again (the lexicon's and structure's pages too, not only the rows it read):
    at 12,000 paragraphs, releasing after every question made answers 0.8-1.0 ms slower than
    after every 4th to 16th (paired runs), while RSS holds only a few questions' pages more."""

    def __init__(self, every: int) -> None:
        if every < 1:
            raise ValueError("release at least every call")
        self.every = every
        self._calls = itertools.count(1)  # next() is atomic: threads may share one

    def __call__(self, array: np.ndarray) -> None:
        if next(self._calls) % self.every == 0:
            release(array)


def _view(mapped: mmap.mmap, start: int, name: str, entry: Any, size: int) -> np.ndarray:
    dtype = np.dtype(str(entry["dtype"]))
    shape = tuple(int(n) for n in entry["shape"])
    offset = start + int(entry["offset"])
    count = int(np.prod(shape, dtype=np.int64))
    if (
        dtype.kind not in _KINDS
        or min(shape, default=0) < 0
        or offset + count * dtype.itemsize > size
    ):
        raise ValueError(f"array {name} is damaged")
    array = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape)
