"""Load on the Telegram bot: many chats asking in turn through the fake Bot API server.

The bot runs as its real command in a child process; each chat sends its next question when
the previous reply arrives. Latency is from an update being available to its reply arriving.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.fake_bot_api import FakeBotApi

TOKEN = "100:bench-token"
QUESTIONS = [
    "Who is Ashton Carter?",
    "How many flights did the Russian jets conduct?",
    "Who heads the Syrian National Coalition?",
    "What did Kerry tell the Security Council?",
    "Where did he speak?",
    "What did Lavrov say about communication channels?",
    "How old is Ashton Carter?",
    "What is the GDP of Russia?",
    "Did Russia warn the Americans before striking?",
    "What did Kerry and Lavrov develop?",
]


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's own high-water mark, not inherited from whoever forked it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until_ready(
    api: FakeBotApi, process: subprocess.Popen[bytes], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while "deleteWebhook" not in api.methods():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the bot did not start")
        time.sleep(0.05)


def drive(
    api: FakeBotApi, chats: int, per_chat: int, think: float, timeout: float
) -> tuple[list[float], float]:
    """Each chat asks its next question about `think` seconds after its reply arrives.

    Returns the reply latencies (ms) and the wall time of the whole load.
    """
    asked = dict.fromkeys(range(1, chats + 1), 0)
    pushed_at: dict[int, float] = {}
    answered = dict.fromkeys(asked, 0)
    latencies: list[float] = []
    rng = random.Random(11)  # people don't ask in lockstep: random starts and pauses
    start = time.monotonic()
    due: list[tuple[float, int]] = [(start + rng.uniform(0, think), chat) for chat in asked]
    seen = 0
    while sum(answered.values()) < chats * per_chat and time.monotonic() - start < timeout:
        now = time.monotonic()
        for when, chat in [d for d in due if d[0] <= now]:
            due.remove((when, chat))
            pushed_at[chat] = time.monotonic()
            api.push_message(chat, QUESTIONS[asked[chat] % len(QUESTIONS)])
            asked[chat] += 1
        calls, times = api.calls[seen:], api.call_times[seen:]
        seen += len(calls)
        for (method, params), at in zip(calls, times, strict=False):
            chat = params.get("chat_id")
            if method != "sendMessage" or chat not in answered:
                continue
            answered[chat] += 1
            latencies.append((at - pushed_at[chat]) * 1000)
            if asked[chat] < per_chat:
                due.append((at + rng.uniform(0.5 * think, 1.5 * think), chat))
        time.sleep(0.001)
    return latencies, time.monotonic() - start


def telegram_load(
    index_dir: Path, chats: int = 50, per_chat: int = 10, think: float = 1.0
) -> tuple[list[float], float, float]:
    api = FakeBotApi(TOKEN)
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ARTICLEBOT_INDEX_DIR": str(index_dir),
        "ARTICLEBOT_RATE_LIMIT": f"{per_chat * 2}/60",
        # Telegram's 30 messages/s would measure Telegram's limit, not the bot
        "ARTICLEBOT_TELEGRAM_MAX_RATE": "100000",
    }
    command = [sys.executable, "-m", "bot", "telegram", "--base-url", api.base_url]
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_ready(api, process)
        latencies, wall = drive(api, chats, per_chat, think, timeout=300)
        rss = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        api.close()
    if len(latencies) < chats * per_chat:
        raise SystemExit(f"only {len(latencies)} of {chats * per_chat} replies arrived")
    return latencies, wall, rss
