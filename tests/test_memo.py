import threading

import pytest

from bot.memo import BoundedMemo


def test_a_value_is_made_once_while_remembered() -> None:
    made: list[str] = []
    memo = BoundedMemo(lambda key: made.append(key) or key.upper(), size=3)
    assert [memo("a"), memo("b"), memo("a")] == ["A", "B", "A"]
    assert made == ["a", "b"]


def test_the_memo_never_holds_more_than_its_size() -> None:
    made: list[int] = []
    memo = BoundedMemo(lambda key: made.append(key) or key * 2, size=4)
    for key in range(100):
        assert memo(key) == key * 2
        assert len(memo) <= 4
    assert memo(99) == 198 and made.count(99) == 1  # the newest survives a clearing


def test_a_failure_is_not_remembered() -> None:
    calls = 0

    def flaky(key: str) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk")
        return key

    memo = BoundedMemo(flaky, size=2)
    with pytest.raises(OSError):
        memo("x")
    assert memo("x") == "x" and len(memo) == 1


def test_threads_sharing_a_memo_all_get_the_value() -> None:
    memo = BoundedMemo(lambda key: key % 7, size=5)
    results: list[list[int]] = [[] for _ in range(4)]

    def work(out: list[int]) -> None:
        out.extend(memo(n) for n in range(2_000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(out == [n % 7 for n in range(2_000)] for out in results)
    assert len(memo) <= 5


def test_a_memo_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        BoundedMemo(str, size=0)
