"""Floods, quota dodges, oversized messages and borrowed authority, against the real
Application and its HTTP stack, talking to the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from bot.core import Answerer
from bot.settings import Settings
from bot.telegram import build_application
from bot.telegram_format import TELEGRAM_LIMIT, split_html, utf16_length
from bot.types import Document
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram import assert_valid_html, bot_settings, start, stop

LIMITED = "faster than I can keep up"
GROUP, FLOODER, BYSTANDER = -1001234, 77, 901


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent(chat_id)]


async def settle(api: FakeBotApi, seconds: float = 1.0) -> None:
    """Wait until nothing has been sent for `seconds` (bounded: 30 s in all)."""
    deadline = time.monotonic() + 30
    count = -1
    while count != len(api.calls) and time.monotonic() < deadline:
        count = len(api.calls)
        await asyncio.sleep(seconds)


async def test_a_flooding_user_never_keeps_another_chat_waiting(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    """80 /ask from one user in a supergroup, then one question in a private chat: the
    private chat is answered at once, and the flooder hears 'too fast' once."""
    application = build_application(bot_settings(settings, fake_api), answerer)
    await start(application)
    try:
        for _ in range(80):
            fake_api.push_message(
                GROUP, "/ask Who is Ashton Carter?", chat_type="supergroup", user_id=FLOODER
            )
        await asyncio.sleep(0.5)  # the flood is being handled
        asked = time.monotonic()
        fake_api.push_message(BYSTANDER, "Who heads the Syrian National Coalition?")
        (reply,) = await fake_api.wait_sent(1, BYSTANDER, timeout=60)
        waited = time.monotonic() - asked
        await settle(fake_api)
    finally:
        await stop(application)
    assert "Khoja" in reply["text"]
    assert waited < 5.0, f"the private chat waited {waited:.1f} s behind the flood"
    flood = texts(fake_api, GROUP)
    assert sum(LIMITED in t for t in flood) == 1  # told once, then dropped silently
    assert len(flood) == settings.rate_limit + 1


async def test_channel_posts_and_edits_count_against_a_quota(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    application = build_application(bot_settings(settings, fake_api, rate_limit=3), answerer)
    await start(application)
    try:
        for _ in range(8):  # a channel post has no user: the channel's quota counts it
            fake_api.push_update(
                {
                    "channel_post": {
                        "message_id": 5,
                        "date": int(time.time()),
                        "chat": {"id": -1009, "type": "channel", "title": "News"},
                        "text": "@article_test_bot Who is Ashton Carter?",
                    }
                }
            )
        message_id = 4242
        fake_api.push_message(303, "Who is Ashton Carter?", extra={"message_id": message_id})
        for n in range(8):  # each edit asks again: it counts like a new question
            fake_api.push_update(
                {
                    "edited_message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "edit_date": int(time.time()),
                        "chat": {"id": 303, "type": "private"},
                        "from": {"id": 303, "is_bot": False, "first_name": "Editor"},
                        "text": f"Who is Ashton Carter? ({n})",
                    }
                }
            )
        await settle(fake_api)
    finally:
        await stop(application)
    for chat_id in (-1009, 303):
        replies = texts(fake_api, chat_id)
        assert len(replies) == 4 and sum(LIMITED in t for t in replies) == 1, replies


class ManyDocuments:
    """An answerer stand-in whose index holds many documents with long names."""

    def __init__(self, real: Answerer, count: int, title: str, url_length: int) -> None:
        self.documents = tuple(
            Document(
                f"https://example.com/{n}/" + "a" * url_length, f"{title} {n}", "x", f"{n}", ()
            )
            for n in range(count)
        )
        self.index = self
        self.settings = real.settings

    def answer(self, question: str, history: Any = ()) -> Any:
        raise AssertionError("no questions here")


async def test_every_message_is_split_under_the_limit(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    many = ManyDocuments(answerer, 30, "A long & <winding> title " * 4, 160)
    huge = ManyDocuments(answerer, 1, "Headline & <more> " * 400, 10)
    for stand_in, command, chat_id in ((many, "/sources", 311), (huge, "/start", 312)):
        application = build_application(bot_settings(settings, fake_api), stand_in)  # type: ignore[arg-type]
        await start(application)
        try:
            fake_api.push_message(chat_id, command)
            await fake_api.wait_sent(2, chat_id)
            await settle(fake_api, 0.5)
        finally:
            await stop(application)
        for text in texts(fake_api, chat_id):
            assert_valid_html(text)
    listed = "".join(texts(fake_api, 311))
    assert all(d.source in listed for d in many.documents)  # split, nothing lost


def test_split_html_keeps_tags_and_entities_whole() -> None:
    text = "<b>" + "fish &amp; chips " * 600 + "</b>\n<i>" + "x" * 5000 + "</i>"
    pieces = split_html(text, TELEGRAM_LIMIT)
    assert len(pieces) >= 3
    for piece in pieces:
        assert_valid_html(piece)
        assert utf16_length(piece) <= TELEGRAM_LIMIT
    assert "".join(pieces).count("&amp;") == 600


async def test_load_is_authorised_by_user_not_by_chat(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings, tmp_path: Any, index_dir: Any
) -> None:
    import shutil

    private_index = tmp_path / "index"
    shutil.copytree(index_dir, private_index)
    admins_group = -100777
    own = replace(
        bot_settings(settings, fake_api),
        index_dir=private_index,
        admin_users=frozenset({55}),
    )
    application = build_application(own, answerer)
    await start(application)
    try:
        fake_api.push_message(admins_group, "/load", chat_type="supergroup", user_id=66)
        (refused,) = await fake_api.wait_sent(1, admins_group)
        fake_api.push_message(admins_group, "/load", chat_type="supergroup", user_id=55)
        _, usage = await fake_api.wait_sent(2, admins_group)
    finally:
        await stop(application)
    assert "only the operators" in refused["text"]  # a member of the operators' group
    assert "/load followed by the address" in usage["text"]  # the operator, in that group


def test_the_quota_tells_once_then_drops_until_there_is_room() -> None:
    from bot.telegram_flow import ADMIT, DROP, REFUSE, QuestionQuota

    now = [0.0]
    quota = QuestionQuota(2, 60, clock=lambda: now[0])
    assert [quota.check(1) for _ in range(5)] == [ADMIT, ADMIT, REFUSE, DROP, DROP]
    assert quota.check(2) == ADMIT  # another sender is unaffected
    now[0] = 61
    assert [quota.check(1) for _ in range(4)] == [ADMIT, ADMIT, REFUSE, DROP]


async def test_anonymous_admins_of_different_groups_do_not_share_a_quota(
    fake_api: FakeBotApi, answerer: Answerer, settings: Settings
) -> None:
    """Telegram sends every anonymous group admin as one bot user; the group they speak
    for is the sender that counts."""
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group"}

    def as_admin(group: int) -> dict[str, Any]:
        return {"from": anonymous, "sender_chat": {"id": group, "type": "supergroup", "title": "G"}}

    application = build_application(bot_settings(settings, fake_api, rate_limit=2), answerer)
    await start(application)
    try:
        for _ in range(6):
            fake_api.push_message(
                -1001, "/ask Who is Ashton Carter?", chat_type="supergroup", extra=as_admin(-1001)
            )
        await fake_api.wait_sent(3, -1001)
        fake_api.push_message(
            -1002, "/ask Who is Ashton Carter?", chat_type="supergroup", extra=as_admin(-1002)
        )
        (reply,) = await fake_api.wait_sent(1, -1002)
    finally:
        await stop(application)
    assert LIMITED not in reply["text"] and "Ashton Carter" in reply["text"]


def test_a_page_with_control_characters_has_visible_text() -> None:
    from bot.webpage import visible_text

    assert " ".join(visible_text("\x1b<p>a\x1bb</p><script>x</script>c").split()) == "\x1b a\x1bb c"


async def test_load_never_echoes_a_password(
    fake_api: FakeBotApi,
    answerer: Answerer,
    settings: Settings,
    tmp_path: Any,
    index_dir: Any,
    page_server: Any,
    caplog: Any,
) -> None:
    import shutil

    shutil.copytree(index_dir, tmp_path / "index")
    own = replace(
        bot_settings(settings, fake_api),
        index_dir=tmp_path / "index",
        admin_users=frozenset({500}),
        allow_private_urls=True,
    )
    application = build_application(own, answerer)
    await start(application)
    try:
        fake_api.push_message(500, f"/load http://user:s3cret@127.0.0.1:{page_server.port}/missing")
        started, failed = await fake_api.wait_sent(2, 500, timeout=60)
    finally:
        await stop(application)
    assert "127.0.0.1" in started["text"] and "HTTP 404" in failed["text"]
    for text in (started["text"], failed["text"], caplog.text):
        assert "s3cret" not in text


def test_articles_are_read_at_a_lower_priority_than_answers() -> None:
    """A long read must not slow other chats' answers: its threads run niced."""
    import os
    import threading

    from bot.telegram_flow import READ_NICENESS, background_pool

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = niceness()
    pool = background_pool(1, "read")
    try:
        assert pool.submit(niceness).result(timeout=10) == READ_NICENESS
    finally:
        pool.shutdown()
    assert niceness() == before  # the caller's own thread is untouched
