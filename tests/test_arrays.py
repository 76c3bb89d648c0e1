"""The array file: what is written is read back, memory-mapped, and damage is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.arrays import EveryFew, read_arrays, release, write_arrays


def test_arrays_come_back_equal_and_read_only(tmp_path: Path) -> None:
    arrays = {
        "ints": np.arange(10, dtype=np.int64).reshape(5, 2),
        "halves": np.linspace(0, 1, 7, dtype=np.float16),
        "bytes": np.array([b"abc", b"de"], dtype="S4"),
        "flags": np.array([True, False]),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    write_arrays(tmp_path / "t.bin", arrays)
    back = read_arrays(tmp_path / "t.bin")
    assert list(back) == list(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        assert back[name].dtype == array.dtype and not back[name].flags.writeable


def test_objects_cannot_be_stored(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        write_arrays(tmp_path / "t.bin", {"o": np.array([{"a": 1}], dtype=object)})


def test_a_file_cut_short_or_foreign_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    write_arrays(path, {"big": np.arange(1000, dtype=np.int64)})
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(ValueError, match="damaged"):
        read_arrays(path)
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ValueError, match="not an array file"):
        read_arrays(path)
    path.write_bytes(b"AB")
    with pytest.raises(ValueError, match="cut short"):
        read_arrays(path)


def mapped_kib(path: Path) -> int:
    """How much of `path` this process has resident, from /proc/self/smaps."""
    total, current = 0, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            current = fields[-1]
        elif fields[0] == "Rss:" and current == str(path):
            total += int(fields[1])
    return total


def test_released_pages_leave_the_resident_set_and_read_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    values = np.arange(4_000_000, dtype=np.int32).reshape(-1, 100)
    write_arrays(path, {"small": np.arange(3), "big": values})
    back = read_arrays(path)
    assert int(back["big"].sum()) == int(values.sum())  # every page read
    assert mapped_kib(path) > 10_000
    release(back["big"])
    assert mapped_kib(path) < 100
    np.testing.assert_array_equal(back["big"][::997], values[::997])
    np.testing.assert_array_equal(back["small"], np.arange(3))
    release(np.arange(5))  # not a map: nothing to do


def test_every_few_releases_on_every_nth_call_only(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    write_arrays(path, {"big": np.arange(1_000_000, dtype=np.int32)})
    big = read_arrays(path)["big"]
    every_third = EveryFew(3)
    resident = []
    for _ in range(6):
        assert int(big.sum()) == 499_999_500_000  # every page read, as a question reads
        every_third(big)
        resident.append(mapped_kib(path) > 1_000)
    assert resident == [True, True, False, True, True, False]
    with pytest.raises(ValueError):
        EveryFew(0)
