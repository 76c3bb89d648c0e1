"""Which updates are processed, and when: quotas before slots, one update per chat at a time;
who the bot answers in a group; and each chat's recent conversation.

python-telegram-bot runs each update in one of a fixed number of concurrent slots. An update
that takes a slot and then waits for its chat's earlier updates holds a slot no other chat
can use, so one user flooding one group once kept every other chat waiting. Here an update
is first admitted against its sender's quota (the chat's, when there is no sender, as for a
channel post); then it waits for its chat's turn holding nothing; only then does it take a
slot. A sender over the quota hears so once, and is then dropped unseen until the window
lets them in again.

Reading an article (embedding it) runs at a lower priority than answering, so a long read
does not slow the other chats' answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.types import Turn

ADMIT, REFUSE, DROP = "admit", "refuse", "drop"
_SWEEP_AT = 10_000  # senders remembered before the quiet ones are forgotten
MAX_CONVERSATIONS = 10_000  # chats whose history is kept; then the quietest are forgotten
# python-telegram-bot takes its slot before it hands us an update, so its bound would count
# updates still waiting for their chat; it is set out of reach, and ours taken after the turn
_PTB_BOUND = 2**31 - 1


class QuestionQuota:
    """A sliding window of messages per sender. Over it, the first message is refused
    (the sender is told) and the rest are dropped, until the window has room again."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit, self._window, self._clock = limit, window_seconds, clock
        self._asked: dict[int, deque[float]] = {}
        self._told: set[int] = set()

    def check(self, key: int) -> str:
        """ADMIT (and count it), REFUSE (over the quota: tell them, once) or DROP."""
        now = self._clock()
        if len(self._asked) > _SWEEP_AT:
            self._sweep(now)
        asked = self._asked.setdefault(key, deque())
        while asked and now - asked[0] >= self._window:
            asked.popleft()
        if len(asked) < self._limit:
            asked.append(now)
            self._told.discard(key)
            return ADMIT
        if key in self._told:
            return DROP
        self._told.add(key)
        return REFUSE

    def allow(self, key: int) -> bool:
        return self.check(key) == ADMIT

    def _sweep(self, now: float) -> None:
        for key in [k for k, a in self._asked.items() if not a or now - a[-1] >= self._window]:
            del self._asked[key]
            self._told.discard(key)


def is_reply_to(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def addressed_question(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a message meant for the bot, None when it isn't meant for it."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{username}"
    if username and mention.lower() in text.lower():
        start = text.lower().index(mention.lower())
        return (text[:start] + text[start + len(mention) :]).strip(" ,:")
    return text if is_reply_to(message, bot_id) else None


class Conversations:
    """Per-chat history: the last few turns, forgotten after a quiet spell."""

    def __init__(
        self, max_turns: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._turns: dict[int, deque[tuple[float, Turn]]] = defaultdict(
            lambda: deque(maxlen=max_turns)
        )
        self._ttl = ttl_seconds
        self._clock = clock

    def history(self, chat_id: int) -> list[Turn]:
        now = self._clock()
        turns = self._turns.get(chat_id, deque())
        while turns and now - turns[0][0] > self._ttl:
            turns.popleft()
        return [turn for _, turn in turns]

    def add(self, chat_id: int, turn: Turn) -> None:
        now = self._clock()
        if chat_id not in self._turns and len(self._turns) >= MAX_CONVERSATIONS:
            self._forget_quiet(now)
        self._turns[chat_id].append((now, turn))

    def _forget_quiet(self, now: float) -> None:
        """Every chat past the quiet spell, then the quietest until half the bound is free:
        a bot in many chats must not keep every chat it ever saw, and the sweep is rare."""
        for chat in [c for c, t in self._turns.items() if not t or now - t[-1][0] > self._ttl]:
            del self._turns[chat]
        by_last_turn = sorted(self._turns, key=lambda chat: self._turns[chat][-1][0])
        for chat in by_last_turn[: max(0, len(by_last_turn) - MAX_CONVERSATIONS // 2)]:
            del self._turns[chat]

    def reset(self, chat_id: int) -> None:
        self._turns.pop(chat_id, None)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat; an update is admitted, then waits
    for its chat's turn, and only then takes one of the concurrent slots."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        admit: Callable[[object], str] = lambda update: ADMIT,
        refuse: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(_PTB_BOUND)
        self.admit, self.refuse = admit, refuse
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> lock, updates waiting

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        verdict = self.admit(update)
        if verdict != ADMIT:
            _discard(coroutine)
            if verdict == DROP or self.refuse is None:
                return
            coroutine = self.refuse(update)
        async with self._turn(update), self._slots:
            await coroutine

    @asynccontextmanager
    async def _turn(self, update: object) -> AsyncIterator[None]:
        """The chat's lock, kept only while some update of the chat needs it."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            yield
            return
        lock, waiting = self._turns.get(chat.id, (asyncio.Lock(), 0))
        self._turns[chat.id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._turns[chat.id]
            if waiting == 1:
                del self._turns[chat.id]
            else:
                self._turns[chat.id] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a coroutine that will never run, so Python does not warn it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


# Measured in one process on 2 cores, 150 answers while another thread embedded a 200 KB
# text: p50/p95 8.0-8.9/9.9-11.3 ms with no read, 10.9-17.2/20.6-31.0 with the read at
# normal priority, 8.8-9.5/11.4-18.0 with the read thread at nice 19 (torch's worker
# threads, which it starts, inherit its niceness).
READ_NICENESS = 19


def background_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """Threads for reading articles, each at READ_NICENESS, so answers come first."""
    return ThreadPoolExecutor(workers, thread_name_prefix=name, initializer=_lower_priority)


def _lower_priority() -> None:
    try:  # Linux sets a niceness per thread; elsewhere this thread stays as it is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), READ_NICENESS)
    except (AttributeError, OSError) as error:
        logging.getLogger(__name__).debug("read thread keeps its priority: %s", error)
