"""End to end: chats hand the bot articles (a link, /read, a file) and are answered from
them, against the fake Bot API server and the page server, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.chat_library import ChatLibrary
from bot.core import Answerer
from bot.readers import document_from, raw_from_bytes
from bot.settings import PROJECT_ROOT, Settings
from bot.telegram import build_application
from tests.fake_bot_api import TEST_TOKEN, FakeBotApi
from tests.page_server import gzip_bomb
from tests.test_telegram import assert_valid_html, bot_settings, start, stop

CABLES = "How many steel cables did engineers replace?"
NOTES = b"# Pottery notes\n\nThe kiln reached 900 degrees on its first firing.\n"


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent(chat_id)]


def reading_settings(settings: Settings, api: FakeBotApi, state: Path, **changes: Any) -> Settings:
    return replace(bot_settings(settings, api), state_dir=state, allow_private_urls=True, **changes)


@pytest.fixture()
async def reader(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path
) -> Any:
    application = build_application(reading_settings(settings, fake_api, tmp_path), answerer)
    await start(application)
    yield application
    await stop(application)


def one_line_refusal(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith("Could not read that:") and text.endswith("articles are unchanged.")


async def test_a_link_is_read_then_answered_from_its_page_with_more_context(
    reader: Any, fake_api: FakeBotApi, page_server: Any
) -> None:
    url = page_server.url("/article.html")
    fake_api.push_message(11, url)
    started, done = await fake_api.wait_sent(2, 11, timeout=60)
    assert "Reading" in started["text"] and "in the background" in started["text"]
    assert "Read <b>Harbour bridge reopens after repairs</b> (" in done["text"]
    fake_api.push_message(11, CABLES)
    *_, answer = await fake_api.wait_sent(3, 11)
    text = answer["text"]
    assert text.startswith("<i>Harbour bridge reopens after repairs, paragraph ")
    assert "<b>240 steel cables</b>" in text and text.count("city council") == 1
    assert f'<a href="{url}#:~:text=Engineers%20replaced%20240%20steel%20cables' in text
    assert_valid_html(text)
    (row,) = answer["reply_markup"]["inline_keyboard"]
    assert row[0]["text"] == "More context" and len(row[0]["callback_data"].encode()) <= 64

    fake_api.push_message(12, CABLES)  # another chat keeps the default article
    (other,) = await fake_api.wait_sent(1, 12)
    assert "240 steel cables" not in other["text"]

    fake_api.push_callback(11, answer["message_id"], row[0]["callback_data"])
    *_, more = await fake_api.wait_sent(4, 11)
    assert "answerCallbackQuery" in fake_api.methods()
    assert "paragraph" in more["text"] and "in full" in more["text"]
    assert "240 steel cables, the city council said in a statement." in more["text"]
    fake_api.push_callback(11, answer["message_id"], "more:0000ffff:p999s1")  # gone: still answered
    await asyncio.sleep(0.5)
    answered = [p for m, p in fake_api.calls if m == "answerCallbackQuery"]
    assert len(answered) == 2 and "no longer here" in answered[1].get("text", "")


async def test_a_file_is_fetched_through_get_file_and_answered_from(
    reader: Any, fake_api: FakeBotApi, page_server: Any
) -> None:
    fake_api.push_document(21, "notes.md", NOTES)
    _, done = await fake_api.wait_sent(2, 21, timeout=60)
    assert "getFile" in fake_api.methods() and fake_api.downloads == ["documents/file-1.bin"]
    assert "Read <b>Pottery notes</b>" in done["text"]
    fake_api.push_message(21, page_server.url("/missing"))  # fails, and changes nothing
    *_, failed = await fake_api.wait_sent(4, 21, timeout=60)
    one_line_refusal(failed["text"])
    fake_api.push_message(21, "How hot did the kiln get?")
    *_, answer = await fake_api.wait_sent(5, 21)
    assert "900 degrees" in answer["text"] and "Pottery notes, paragraph" not in answer["text"]
    assert "Pottery notes (notes.md), paragraph 2" in answer["text"]
    fake_api.push_message(21, "/sources")
    *_, sources = await fake_api.wait_sent(6, 21)
    assert (
        "This chat's articles (1 of at most 3)" in sources["text"] and "notes.md" in sources["text"]
    )
    fake_api.push_message(21, "/help")
    *_, helped = await fake_api.wait_sent(7, 21)
    assert "<b>Pottery notes</b>" in helped["text"]  # what this chat is answered from
    fake_api.push_message(21, "/forget")
    fake_api.push_message(21, "How hot did the kiln get?")
    *_, forgot, after = await fake_api.wait_sent(9, 21)
    assert "let go of this chat's articles (1)" in forgot["text"]
    assert "900 degrees" not in after["text"]
    fake_api.push_message(21, "/start")
    *_, started = await fake_api.wait_sent(10, 21)
    assert "Pottery notes" not in started["text"] and "<b>" in started["text"]


async def test_a_file_whose_download_fails_gets_one_line_and_changes_nothing(
    reader: Any, fake_api: FakeBotApi
) -> None:
    fake_api.push_document(22, "notes.md", NOTES, expired=True)
    _, failed = await fake_api.wait_sent(2, 22, timeout=60)  # "Reading ...", then why not
    one_line_refusal(failed["text"])
    assert "notes.md" in failed["text"] and fake_api.downloads == []
    fake_api.push_message(22, "/sources")
    *_, sources = await fake_api.wait_sent(3, 22)
    assert "This chat's articles" not in sources["text"]


async def test_two_chats_hold_different_articles_and_a_group_uses_read(
    reader: Any, fake_api: FakeBotApi, page_server: Any
) -> None:
    group = -3001
    fake_api.push_message(group, page_server.url("/article.html"), chat_type="group")  # ignored
    fake_api.push_message(group, f"/read {page_server.url('/article.html')}", chat_type="group")
    fake_api.push_document(31, "kiln.md.gz", gzip.compress(NOTES))
    await fake_api.wait_sent(2, group, timeout=60)
    _, gunzipped = await fake_api.wait_sent(2, 31, timeout=60)
    assert "Read <b>Pottery notes</b>" in gunzipped["text"]  # a .gz of Markdown
    fake_api.push_message(group, f"/ask {CABLES}", chat_type="group")
    fake_api.push_message(31, CABLES)
    *_, in_group = await fake_api.wait_sent(3, group)
    *_, in_private = await fake_api.wait_sent(3, 31)
    assert "240 steel cables" in in_group["text"]
    assert "240 steel cables" not in in_private["text"]
    assert len(fake_api.sent(group)) == 3  # the bare link in the group was not read


async def test_the_same_file_from_two_chats_is_embedded_once_and_answers_both(
    reader: Any, fake_api: FakeBotApi
) -> None:
    library = reader.bot_data["frontend"].library
    fake_api.push_document(61, "notes.md", NOTES)
    await fake_api.wait_sent(2, 61, timeout=60)
    fake_api.push_document(62, "kiln.md", NOTES)  # another name, the same bytes
    _, done = await fake_api.wait_sent(2, 62, timeout=60)
    assert "Read <b>Pottery notes</b>" in done["text"]
    assert library.embedded == 1
    for chat in (61, 62):
        fake_api.push_message(chat, "How hot did the kiln get?")
        *_, answer = await fake_api.wait_sent(3, chat)
        assert "900 degrees" in answer["text"]


async def test_the_quota_the_per_chat_cap_and_a_read_that_waits_on_nothing(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path, page_server: Any
) -> None:
    page_server.pages["/one.txt"] = (200, "text/plain", b"One\n\nThe first page says alpha.\n")
    page_server.pages["/two.txt"] = (200, "text/plain", b"Two\n\nThe second page says beta.\n")
    own = reading_settings(settings, fake_api, tmp_path, read_quota=3, chat_articles=1)
    application = build_application(own, answerer)
    await start(application)
    try:
        fake_api.push_message(41, f"/read {page_server.url('/slow')}")  # 3 s, then a 404
        fake_api.push_message(41, "Who is Ashton Carter?")
        _, answered = await fake_api.wait_sent(2, 41, timeout=60)
        assert "Ashton Carter" in answered["text"]  # answered while the read went on
        (failed,) = (await fake_api.wait_sent(3, 41, timeout=60))[2:]
        one_line_refusal(failed["text"])
        fake_api.push_message(41, page_server.url("/one.txt"))
        await fake_api.wait_sent(5, 41, timeout=60)
        fake_api.push_message(41, page_server.url("/two.txt"))
        *_, second = await fake_api.wait_sent(7, 41, timeout=60)
        fake_api.push_message(41, page_server.url("/one.txt"))
        *_, over = await fake_api.wait_sent(8, 41, timeout=60)
    finally:
        await stop(application)
    assert "let go of the oldest, <b>One</b>" in second["text"]
    assert "handed me 3 articles within 1 hour" in over["text"] and "\n" not in over["text"]


async def test_over_the_disk_budget_the_least_recently_used_article_goes(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path, page_server: Any
) -> None:
    pages = {name: f"{name}\n\nThe page called {name} says hello.\n".encode() for name in "ab"}
    for name, data in pages.items():
        page_server.pages[f"/{name}.txt"] = (200, "text/plain", data)
    probe = ChatLibrary(replace(settings, state_dir=tmp_path / "probe"))
    sizes = []
    for name, data in pages.items():
        probe.read(1, document_from(raw_from_bytes(data, f"{name}.txt")))
        sizes.append(probe.store.size(probe.articles(1)[-1].sha256))
    budget = (max(sizes) * 1.5) / 2**20  # room for one of them, not both
    own = reading_settings(settings, fake_api, tmp_path / "state", state_budget_mb=budget)
    application = build_application(own, answerer)
    await start(application)
    try:
        fake_api.push_message(51, page_server.url("/a.txt"))
        await fake_api.wait_sent(2, 51, timeout=60)
        fake_api.push_message(52, page_server.url("/b.txt"))
        await fake_api.wait_sent(2, 52, timeout=60)
        fake_api.push_message(51, "/sources")
        *_, sources = await fake_api.wait_sent(3, 51)
    finally:
        await stop(application)
    assert "This chat's articles" not in sources["text"] and "I know 1 document" in sources["text"]


async def test_a_restart_keeps_a_chats_articles(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path, page_server: Any
) -> None:
    own = reading_settings(settings, fake_api, tmp_path)
    first = build_application(own, answerer)
    await start(first)
    try:
        fake_api.push_message(61, page_server.url("/article.html"))
        await fake_api.wait_sent(2, 61, timeout=60)
    finally:
        await stop(first)
    second = build_application(own, answerer)
    await start(second)
    try:
        fake_api.push_message(61, CABLES)
        *_, answer = await fake_api.wait_sent(3, 61)
    finally:
        await stop(second)
    assert "<b>240 steel cables</b>" in answer["text"]


async def test_hostile_pages_big_files_and_private_addresses_get_one_polite_line(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path, page_server: Any
) -> None:
    page_server.pages["/bomb.html"] = (200, "text/html", gzip_bomb(64))
    page_server.headers["/bomb.html"] = {"Content-Encoding": "gzip, gzip"}
    page_server.pages["/scripts.html"] = (
        200,
        "text/html",
        b"<html><body><script>var x = '<p>not text</p>';</script></body></html>",
    )
    own = reading_settings(settings, fake_api, tmp_path, max_file_mb=0.01, max_read_words=500)
    application = build_application(own, answerer)
    private = build_application(
        replace(own, allow_private_urls=False, state_dir=tmp_path / "p"), answerer
    )
    await start(application)
    try:
        fake_api.push_message(71, page_server.url("/bomb.html"))
        fake_api.push_message(71, page_server.url("/scripts.html"))
        fake_api.push_document(71, "big.txt", b"x" * 20_000)  # over 0.01 MB, as declared
        fake_api.push_document(71, "liar.txt", b"y " * 20_000, declared_size=10)
        fake_api.push_document(71, "photo.png", b"\x89PNG")
        fake_api.push_document(71, "long.txt", b"Many words here. " * 200)  # 600 words
        replies = await fake_api.wait_sent(10, 71, timeout=60)
    finally:
        await stop(application)
    await start(private)
    try:
        fake_api.push_message(72, page_server.url("/article.html"))
        *_, refused = await fake_api.wait_sent(2, 72, timeout=60)
    finally:
        await stop(private)
    failures = [t for t in (r["text"] for r in replies) if t.startswith("Could not")]
    assert len(failures) == 4, [r["text"] for r in replies]
    for text in [*failures, refused["text"]]:
        one_line_refusal(text)
    assert any("bomb.html" in t and "more than 20 MB" in t for t in failures), failures
    assert any("no readable text" in t for t in failures)
    assert any("liar.txt is larger than 10.2 KB" in t for t in failures)
    assert any("long.txt has 600 words; I read articles of at most 500." in t for t in failures)
    assert "private address" in refused["text"]
    shown = [r["text"] for r in replies]
    assert any(t == "big.txt is 19.5 KB; I read files of at most 10.2 KB." for t in shown)
    assert any("photo.png is not one" in t for t in shown)


class RealBot:
    """`articlebot telegram` as a process of its own, against the fake Bot API server."""

    def __init__(self, api: FakeBotApi, index_dir: Path, state: Path) -> None:
        self.api, self.deadline = api, time.monotonic() + 120
        env = os.environ | {
            "ARTICLEBOT_INDEX_DIR": str(index_dir),
            "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        }
        command = ["telegram", "--base-url", api.base_url, "--allow-private-urls"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *command, "--state-dir", str(state)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
        started = len(api.methods())
        self.until(lambda: "deleteWebhook" in api.methods()[started:])  # polling from now on

    def until(self, done: Any) -> None:
        while not done():
            assert time.monotonic() < self.deadline and self.process.poll() is None
            time.sleep(0.05)

    def said(self, chat_id: int, count: int) -> dict[str, Any]:
        """The chat's `count`th message from the bot, once it is sent."""
        self.until(lambda: len(self.api.sent(chat_id)) >= count)
        return self.api.sent(chat_id)[count - 1]

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, stderr
        return stderr


def assert_read_like_a_person(answer: dict[str, Any], url: str, phrase: str) -> None:
    """From the page, its sentence quoted once with the answering phrase bold, and linked."""
    text = answer["text"]
    assert text.startswith("<i>Harbour bridge reopens after repairs, paragraph ")
    assert text.count("<blockquote>") == 1 and f"<b>{phrase}</b>" in text
    shown = re.sub(r"<[^>]*>", "", text)  # what the reader sees, links' addresses aside
    sentence = re.sub(r"<[^>]*>", "", text.split("<blockquote>")[1].split("</blockquote>")[0])
    assert shown.count(sentence) == 1
    assert f'<a href="{url}#:~:text=' in text
    assert answer["reply_markup"]["inline_keyboard"][0][0]["text"] == "More context"


def test_a_new_user_with_the_real_bot_reads_asks_taps_and_is_remembered_after_a_restart(
    fake_api: FakeBotApi, index_dir: Path, article_index: Any, tmp_path: Path, page_server: Any
) -> None:
    """The issue's "done when": a link, three questions, "More context", a restart, a question."""
    url = page_server.url("/article.html")
    asked = [
        (CABLES, "240 steel cables"),
        ("How much did the work cost?", "18 million euros"),
        ("When did the bridge reopen?", "Tuesday"),
    ]
    bot = RealBot(fake_api, index_dir, tmp_path)
    try:
        fake_api.push_message(81, url)
        assert "Read <b>Harbour bridge reopens after repairs</b>" in bot.said(81, 2)["text"]
        for number, (question, phrase) in enumerate(asked, start=3):
            fake_api.push_message(81, question)
            assert_read_like_a_person(bot.said(81, number), url, phrase)
        first = bot.said(81, 3)
        button = first["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        fake_api.push_callback(81, first["message_id"], button)
        more = bot.said(81, 6)["text"]
    finally:
        stderr = bot.stop()
    assert "paragraph 5, in full" in more and "240 steel cables, the city council" in more
    assert "answerCallbackQuery" in fake_api.methods()
    again = RealBot(fake_api, index_dir, tmp_path)
    try:
        fake_api.push_message(81, "Who is the mayor?")
        after = again.said(81, 7)
    finally:
        stderr += again.stop()
    assert_read_like_a_person(after, url, "Mayor Ana Ruiz")
    assert TEST_TOKEN not in stderr and "Traceback" not in stderr


async def test_reads_beyond_the_pool_and_its_short_queue_are_asked_to_wait(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Path, page_server: Any
) -> None:
    own = reading_settings(settings, fake_api, tmp_path, read_workers=1, read_quota=20)
    application = build_application(own, answerer)
    await start(application)
    try:
        # one read holds the only worker for 3 s, four wait for it: the sixth is too many
        for path in ("/slow", "/missing", "/missing", "/missing", "/missing", "/missing"):
            fake_api.push_message(91, page_server.url(path))
        replies = [m["text"] for m in await fake_api.wait_sent(6, 91)]
        fake_api.push_message(91, "Who is Ashton Carter?")
        *_, answered = await fake_api.wait_sent(7, 91)
    finally:
        await stop(application)
    assert all(t.startswith("Reading ") for t in replies[:5]), replies
    assert replies[5] == "I am reading several articles already; please send it again in a minute."
    assert "Ashton Carter" in answered["text"]  # answered while the reads wait on the worker
