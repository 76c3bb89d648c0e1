"""End to end: the real Application and HTTP stack against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.core import Answerer
from bot.settings import PROJECT_ROOT, Settings
from bot.telegram import (
    ChatOrderedProcessor,
    Conversations,
    QuestionQuota,
    addressed_question,
    build_application,
)
from bot.telegram_format import TELEGRAM_LIMIT, utf16_length
from bot.types import Answer, Citation, Turn
from tests.fake_bot_api import BOT_USER, TEST_TOKEN, FakeBotApi

TOKEN = TEST_TOKEN
ALLOWED_TAGS = {"a", "b", "i", "blockquote", "code"}


class FakeAnswerer:
    """Stands in for the core where a test needs an answer the article can't give."""

    def __init__(
        self, real: Answerer, answers: dict[str, Answer], delays: dict[str, float] | None = None
    ) -> None:
        self.index = real.index
        self.answers = answers
        self.delays = delays or {}
        self.seen: list[str] = []

    def answer(self, question: str, history: Any = ()) -> Answer:
        self.seen.append(question)
        time.sleep(self.delays.get(question, 0.0))
        if question == "crash":
            raise RuntimeError("boom")
        return self.answers[question]


def bot_settings(settings: Settings, api: FakeBotApi, **overrides: Any) -> Settings:
    return replace(settings, telegram_token=TOKEN, telegram_base_url=api.base_url, **overrides)


async def start(application: Any) -> None:
    """What run_polling does, minus the signal handling and the blocking."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    await application.updater.start_polling(
        poll_interval=0.0, timeout=1, drop_pending_updates=False
    )


async def stop(application: Any) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


@pytest.fixture()
async def bot(fake_api: FakeBotApi, answerer: Answerer, settings: Settings) -> AsyncIterator[Any]:
    application = build_application(bot_settings(settings, fake_api), answerer)
    await start(application)
    yield application
    await stop(application)


class TagChecker(HTMLParser):
    """Fails on a tag Telegram doesn't know, or one left open or closed twice."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag


def assert_valid_html(text: str) -> None:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    assert utf16_length(text) <= TELEGRAM_LIMIT


async def test_a_private_question_is_answered_with_a_citation(
    bot: Any, fake_api: FakeBotApi
) -> None:
    fake_api.push_message(101, "Who heads the Syrian National Coalition?")
    (reply,) = await fake_api.wait_sent(1, 101)
    assert reply["parse_mode"] == "HTML"
    assert reply["text"].startswith(
        "<i>Paragraph 11</i>\n<blockquote><b>Khoja</b>, the head of the Syrian National Coalition"
    )
    assert reply["text"].count("the head of the Syrian National Coalition") == 1  # quoted once
    assert "[1]" not in reply["text"]
    assert_valid_html(reply["text"])
    assert "sendChatAction" in fake_api.methods()
    assert "setMyCommands" in fake_api.methods()
    ((button,),) = reply["reply_markup"]["inline_keyboard"]  # the default article's paragraph
    fake_api.push_callback(101, reply["message_id"], button["callback_data"])
    _, more = await fake_api.wait_sent(2, 101)
    assert more["text"].startswith("<i>Paragraph 11, in full</i>\n<blockquote>Syrian political")
    assert "Khoja, the head of the Syrian National Coalition" in more["text"]  # and around it
    assert "answerCallbackQuery" in fake_api.methods()


async def test_a_follow_up_uses_the_chats_history(bot: Any, fake_api: FakeBotApi) -> None:
    fake_api.push_message(102, "Who is Ashton Carter?")
    await fake_api.wait_sent(1, 102)
    fake_api.push_message(102, "Where did he speak?")
    replies = await fake_api.wait_sent(2, 102)
    assert "Pentagon" in replies[1]["text"]
    fake_api.push_message(103, "Where did he speak?")  # another chat has no such history
    (other,) = await fake_api.wait_sent(1, 103)
    assert other["text"] != replies[1]["text"]


async def test_a_refusal_offers_closest_passages_as_not_an_answer(
    bot: Any, fake_api: FakeBotApi
) -> None:
    fake_api.push_message(104, "How tall is the Eiffel Tower?")
    (reply,) = await fake_api.wait_sent(1, 104)
    assert "The article doesn't say." in reply["text"]
    assert "Closest passages (not an answer)" in reply["text"]
    assert "[1]" not in reply["text"]


async def test_in_a_group_the_bot_speaks_only_when_addressed(
    bot: Any, fake_api: FakeBotApi
) -> None:
    group = -500
    fake_api.push_message(group, "Who is Ashton Carter?", chat_type="group")  # not addressed
    fake_api.push_message(group, "/ask Who heads the Syrian National Coalition?", chat_type="group")
    fake_api.push_message(
        group, "@article_test_bot how many flights did the jets conduct?", chat_type="group"
    )
    fake_api.push_message(
        group, "Where did Khoja post his statement?", chat_type="group", reply_to_bot=True
    )
    replies = await fake_api.wait_sent(3, group)
    await asyncio.sleep(0.3)
    assert len(fake_api.sent(group)) == 3  # chat order holds, so the first was seen and ignored
    assert (
        "Khoja" in replies[0]["text"]
        and "20 flights" in replies[1]["text"]
        and "Twitter" in replies[2]["text"]
    )


async def test_hostile_text_is_escaped(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    hostile = 'He wrote "<b>bold</b> & <script>alert(1)</script>" at 5 < 6 > 4.'
    citation = Citation(1, "a.txt", 3, 1, hostile, 0.9)
    fake = FakeAnswerer(
        answerer, {"<i>what</i> & why?": Answer("q", f"{hostile} [1]", True, (citation,))}
    )
    application = build_application(bot_settings(settings, fake_api), fake)  # type: ignore[arg-type]
    await start(application)
    try:
        fake_api.push_message(105, "<i>what</i> & why?")
        (reply,) = await fake_api.wait_sent(1, 105)
    finally:
        await stop(application)
    assert (
        "&lt;script&gt;" in reply["text"]
        and "&amp;" in reply["text"]
        and "<script>" not in reply["text"]
    )
    assert_valid_html(reply["text"])
    assert fake.seen == ["<i>what</i> & why?"]


async def test_a_long_reply_is_split_into_valid_messages(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    sentences = [
        f"Sentence {i} says " + "many & varied <things> " * 60 + "indeed." for i in range(4)
    ]
    citations = tuple(Citation(i + 1, "a.txt", i + 1, 1, s, 0.5) for i, s in enumerate(sentences))
    long_answer = Answer(
        "q", " ".join(f"{s} [{i + 1}]" for i, s in enumerate(sentences)), True, citations
    )
    fake = FakeAnswerer(answerer, {"long?": long_answer})
    application = build_application(bot_settings(settings, fake_api), fake)  # type: ignore[arg-type]
    await start(application)
    try:
        fake_api.push_message(106, "long?")
        await fake_api.wait_sent(2, 106)
        await asyncio.sleep(0.3)
    finally:
        await stop(application)
    messages = [m["text"] for m in fake_api.sent(106)]
    for text in messages:
        assert_valid_html(text)
    joined = "".join(messages)
    for sentence in sentences:  # nothing lost
        assert (
            joined.count(
                sentence.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:200]
            )
            == 1
        )


async def test_a_429_is_retried_and_nothing_is_lost(bot: Any, fake_api: FakeBotApi) -> None:
    fake_api.failures["sendMessage"] = [1]
    fake_api.push_message(107, "Who is Ashton Carter?")
    (reply,) = await fake_api.wait_sent(1, 107)
    assert fake_api.served_429 == 1
    assert "Ashton Carter" in reply["text"]


async def test_a_chat_off_the_allowlist_is_refused_politely(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    application = build_application(
        bot_settings(settings, fake_api, allowed_chats=frozenset({111})), answerer
    )
    await start(application)
    try:
        fake_api.push_message(222, "Who is Ashton Carter?")
        fake_api.push_message(111, "Who is Ashton Carter?")
        (refusal,) = await fake_api.wait_sent(1, 222)
        await fake_api.wait_sent(1, 111)
    finally:
        await stop(application)
    assert "isn't available" in refusal["text"]
    actions = [p["chat_id"] for m, p in fake_api.calls if m == "sendChatAction"]
    assert 222 not in actions and 111 in actions


async def test_the_token_never_reaches_the_logs(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    application = build_application(bot_settings(settings, fake_api), answerer)
    await start(application)
    try:
        fake_api.push_message(108, "Who is Ashton Carter?")
        await fake_api.wait_sent(1, 108)
    finally:
        await stop(application)
    assert fake_api.calls  # the token was in every request URL
    assert caplog.records and TOKEN not in caplog.text
    assert "SECRET" not in repr(bot_settings(settings, fake_api))


async def test_pending_updates_are_answered_after_a_restart(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    fake_api.push_message(109, "Who is Ashton Carter?")  # arrives while the bot is down
    application = build_application(bot_settings(settings, fake_api), answerer)
    await start(application)
    try:
        (reply,) = await fake_api.wait_sent(1, 109)
    finally:
        await stop(application)
    assert "Ashton Carter" in reply["text"]


async def test_commands_and_non_text(bot: Any, fake_api: FakeBotApi) -> None:
    fake_api.push_message(110, "/start")
    fake_api.push_message(110, "/source")
    fake_api.push_message(
        110,
        extra={
            "sticker": {
                "file_id": "x",
                "file_unique_id": "y",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
    )
    fake_api.push_message(110, "/ask")
    fake_api.push_message(110, "/reset")
    start_reply, source, sticker, usage, reset = await fake_api.wait_sent(5, 110)
    assert (
        "US defence chief says Russia" in start_reply["text"]
        and "Oct 1, 2015" in start_reply["text"]
    )
    assert "I know 1 document" in source["text"]
    assert "US defence chief says Russia" in source["text"] and "article.txt" in source["text"]
    assert "only read text" in sticker["text"]
    assert "/ask" in usage["text"] and "forgotten" in reset["text"]
    for reply in (start_reply, source, usage):
        assert_valid_html(reply["text"])


async def test_slow_chats_do_not_block_others_and_each_chat_stays_in_order(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    quick = Answer("q", "quick [1]", True, (Citation(1, "a", 1, 1, "quick", 1.0),))
    fake = FakeAnswerer(
        answerer, {"slow": quick, "fast": quick, "second": quick}, delays={"slow": 1.5}
    )
    application = build_application(bot_settings(settings, fake_api), fake)  # type: ignore[arg-type]
    await start(application)
    try:
        fake_api.push_message(301, "slow")
        fake_api.push_message(301, "second")
        fake_api.push_message(302, "fast")
        await fake_api.wait_sent(1, 302)
        assert fake_api.sent(301) == []  # chat 302 was answered while 301 was still thinking
        await fake_api.wait_sent(2, 301)
    finally:
        await stop(application)
    assert fake.seen.index("slow") < fake.seen.index("second")


async def test_rate_limit_and_errors_get_polite_replies(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ok = Answer("q", "fine [1]", True, (Citation(1, "a", 1, 1, "fine", 1.0),))
    fake = FakeAnswerer(answerer, {"one": ok, "two": ok, "three": ok})
    application = build_application(bot_settings(settings, fake_api, rate_limit=2), fake)  # type: ignore[arg-type]
    await start(application)
    try:
        for question in ("crash", "one", "two"):
            fake_api.push_message(401, question)
        replies = await fake_api.wait_sent(3, 401)
    finally:
        await stop(application)
    assert "went wrong" in replies[0]["text"] and "Traceback" not in replies[0]["text"]
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)
    assert "fine" in replies[1]["text"] and "faster than I can keep up" in replies[2]["text"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_token(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    application = build_application(bot_settings(settings, fake_api), answerer)
    port = free_port()
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        secret_token="s3cret",
        webhook_url=f"https://example.invalid/{port}",
    )
    update = {
        "update_id": 9,
        "message": {
            "message_id": 5,
            "date": int(time.time()),
            "chat": {"id": 601, "type": "private"},
            "from": {"id": 601, "is_bot": False, "first_name": "T"},
            "text": "Who is Ashton Carter?",
        },
    }

    def post(secret: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/",
            json.dumps(update).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    try:
        assert await asyncio.to_thread(post, "wrong") == 403
        assert await asyncio.to_thread(post, "s3cret") == 200
        (reply,) = await fake_api.wait_sent(1, 601)
    finally:
        await stop(application)
    assert "Ashton Carter" in reply["text"]
    assert any(m == "setWebhook" and p.get("secret_token") == "s3cret" for m, p in fake_api.calls)


def test_cli_without_or_with_a_rejected_token_exits_2(
    fake_api: FakeBotApi, index_dir: Any, article_index: Any, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"} | {
        "ARTICLEBOT_INDEX_DIR": str(index_dir),
        "ARTICLEBOT_STATE_DIR": str(tmp_path),
    }
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "telegram"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert missing.returncode == 2 and "TELEGRAM_BOT_TOKEN" in missing.stderr
    env["TELEGRAM_BOT_TOKEN"] = "999:wrong"
    rejected = subprocess.run(
        [sys.executable, "-m", "bot", "telegram", "--base-url", fake_api.base_url],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert rejected.returncode == 2 and "rejected the token" in rejected.stderr
    assert "Traceback" not in rejected.stderr and "999:wrong" not in rejected.stderr


# unit tests of the pieces


def test_conversations_are_bounded_and_expire() -> None:
    now = [0.0]
    conversations = Conversations(max_turns=2, ttl_seconds=10, clock=lambda: now[0])
    turn = Turn("q", Answer("q", "a", False))
    for _ in range(3):
        conversations.add(1, turn)
    assert len(conversations.history(1)) == 2 and conversations.history(2) == []
    now[0] = 11
    assert conversations.history(1) == []


def test_conversations_forget_the_quietest_chats_past_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.telegram_flow.MAX_CONVERSATIONS", 4)
    now = [0.0]
    conversations = Conversations(max_turns=2, ttl_seconds=100, clock=lambda: now[0])
    turn = Turn("q", Answer("q", "a", False))
    for chat in range(1, 8):
        now[0] = chat
        conversations.add(chat, turn)
        conversations.add(1, turn)  # chat 1 keeps talking
    assert len(conversations._turns) <= 4
    assert conversations.history(1) and conversations.history(7) and not conversations.history(2)


def test_the_quota_is_a_sliding_window() -> None:
    now = [0.0]
    quota = QuestionQuota(2, 60, clock=lambda: now[0])
    assert quota.allow(1) and quota.allow(1) and not quota.allow(1) and quota.allow(2)
    now[0] = 61
    assert quota.allow(1)


def test_who_the_bot_answers_in_groups() -> None:
    def message(text: str, chat_type: str = "group", reply_to_bot: bool = False) -> Any:
        data = {"message_id": 1, "date": 0, "chat": {"id": -1, "type": chat_type}, "text": text}
        if reply_to_bot:
            data["reply_to_message"] = {
                "message_id": 0,
                "date": 0,
                "chat": data["chat"],
                "from": BOT_USER,
            }
        return Update.de_json({"update_id": 1, "message": data}, None).message  # type: ignore[arg-type, union-attr]

    name, bot_id = BOT_USER["username"], BOT_USER["id"]
    assert addressed_question(message("hello there"), name, bot_id) is None  # type: ignore[arg-type]
    assert addressed_question(message("@Article_Test_Bot who?"), name, bot_id) == "who?"  # type: ignore[arg-type]
    assert addressed_question(message("who?", reply_to_bot=True), name, bot_id) == "who?"  # type: ignore[arg-type]
    assert addressed_question(message("who?", chat_type="private"), name, bot_id) == "who?"  # type: ignore[arg-type]


async def test_the_processor_orders_each_chat() -> None:
    processor = ChatOrderedProcessor(8)
    order: list[str] = []

    async def work(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    def update(chat_id: int) -> Update:
        return Update.de_json(
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "x",
                },
            },
            None,
        )  # type: ignore[arg-type, return-value]

    await asyncio.gather(
        processor.do_process_update(update(1), work("a1", 0.2)),
        processor.do_process_update(update(1), work("a2", 0.0)),
        processor.do_process_update(update(2), work("b1", 0.05)),
    )
    assert order == ["b1", "a1", "a2"]


def test_the_real_command_answers_and_stops_on_sigterm(
    fake_api: FakeBotApi, index_dir: Any, article_index: Any, tmp_path: Path
) -> None:
    env = os.environ | {
        "ARTICLEBOT_INDEX_DIR": str(index_dir),
        "ARTICLEBOT_STATE_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "telegram", "--base-url", fake_api.base_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while "getUpdates" not in fake_api.methods() and "deleteWebhook" not in fake_api.methods():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        assert "setMyCommands" in fake_api.methods()  # ready before the first message
        fake_api.push_message(701, "Who heads the Syrian National Coalition?")
        while not fake_api.sent(701):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Khoja" in fake_api.sent(701)[0]["text"]
    assert TOKEN not in stderr and "Traceback" not in stderr


async def test_a_network_error_is_retried_and_the_reply_still_arrives(
    bot: Any, fake_api: FakeBotApi
) -> None:
    fake_api.drops["sendMessage"] = 1
    fake_api.push_message(801, "Who is Ashton Carter?")
    (reply,) = await fake_api.wait_sent(1, 801)
    assert fake_api.drops["sendMessage"] == 0  # the first attempt was really lost
    assert "Ashton Carter" in reply["text"]


async def test_a_question_over_the_limit_gets_a_polite_reply(
    bot: Any, fake_api: FakeBotApi
) -> None:
    fake_api.push_message(802, "Why? " * 400)
    (reply,) = await fake_api.wait_sent(1, 802)
    assert "too long" in reply["text"] and "Traceback" not in reply["text"]


async def test_with_an_llm_only_the_guarded_sentences_reach_the_chat(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    from tests.fake_llm import ScriptedChat

    chat = ScriptedChat(
        replies=["Khoja heads the Syrian National Coalition [1]. He lives in Paris [1]."]
    )
    with_llm = Answerer(answerer.index, settings, chat)
    application = build_application(bot_settings(settings, fake_api), with_llm)
    await start(application)
    try:
        fake_api.push_message(101, "Who heads the Syrian National Coalition?")
        (reply,) = await fake_api.wait_sent(1, 101)
    finally:
        await stop(application)
    assert reply["text"].startswith("Khoja heads the Syrian National Coalition [1].")
    assert "Paris" not in reply["text"]
    assert "<blockquote><b>Khoja</b>, the head of the Syrian National Coalition" in reply["text"]
    assert_valid_html(reply["text"])


async def test_operators_load_an_article_in_the_background_and_others_cannot(
    fake_api: FakeBotApi,
    answerer: Answerer,
    settings: Settings,
    index_dir: Path,
    tmp_path: Path,
    page_server: Any,
) -> None:
    private_index = tmp_path / "index"
    shutil.copytree(index_dir, private_index)
    own = replace(
        bot_settings(settings, fake_api),
        index_dir=private_index,
        admin_users=frozenset({500}),
        allow_private_urls=True,
    )
    application = build_application(own, answerer)
    await start(application)
    try:
        url = page_server.url("/article.html")
        fake_api.push_message(501, f"/load {url}")
        (refused,) = await fake_api.wait_sent(1, 501)
        fake_api.push_message(500, "/load")
        (usage,) = await fake_api.wait_sent(1, 500)
        fake_api.push_message(500, f"/load {page_server.url('/image.png')}")
        _, _, failed = await fake_api.wait_sent(3, 500, timeout=60)
        fake_api.push_message(500, f"/load {url}")
        # meanwhile another chat is answered from the index as it was
        fake_api.push_message(502, "Who heads the Syrian National Coalition?")
        (meanwhile,) = await fake_api.wait_sent(1, 502)
        *_, started, done = await fake_api.wait_sent(5, 500, timeout=120)
        fake_api.push_message(502, "How many steel cables did engineers replace?")
        fake_api.push_message(502, "/sources")
        _, cables, sources = await fake_api.wait_sent(3, 502)
    finally:
        await stop(application)
    assert "only the operators" in refused["text"]
    assert "/load followed by the address" in usage["text"]
    assert "image/png, not HTML or text" in failed["text"] and "unchanged" in failed["text"]
    assert "Khoja" in meanwhile["text"]
    assert "in the background" in started["text"]
    assert "Loaded <b>Harbour bridge reopens after repairs</b>" in done["text"]
    assert "2 documents" in done["text"]
    assert "240 steel cables" in cables["text"]
    assert "<i>Harbour bridge reopens after repairs, paragraph " in cables["text"]
    assert f'<a href="{url}#:~:text=Engineers%20replaced' in cables["text"]
    assert "I know 2 document(s)" in sources["text"] and url in sources["text"]
    for reply in (started, done, sources, failed):
        assert_valid_html(reply["text"])
