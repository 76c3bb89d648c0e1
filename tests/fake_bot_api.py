"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real Application.

It answers the methods the bot calls, long-polls getUpdates (bounded), records every call,
can answer 429 with retry_after, and rejects a wrong token with 401 as Telegram does. Files
sent to the bot are served as the real server does: getFile gives a file_path, and
GET /file/bot<token>/<file_path> gives the bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

TEST_TOKEN = "123456:SECRET-token-never-logged"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "ArticleBot", "username": "article_test_bot"}
MAX_LONG_POLL = 1.0
_TRUE_METHODS = {
    "setMyCommands",
    "deleteWebhook",
    "setWebhook",
    "sendChatAction",
    "close",
    "logOut",
    "deleteMyCommands",
    "answerCallbackQuery",
}


class FakeBotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []  # time.monotonic() of each call, as `calls`
        self.served_429 = 0
        self.failures: dict[str, list[int]] = {}  # method -> retry_after values to answer 429 with
        self.drops: dict[str, int] = {}  # method -> how many calls to hang up on without a reply
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> file_path, bytes
        self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/
        self.expired: set[str] = set()  # file paths getFile names but the server no longer has
        self._condition = threading.Condition()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # what the tests push
    def push_update(self, payload: dict[str, Any]) -> int:
        with self._condition:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **payload})
            self._condition.notify_all()
        return update_id

    def push_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        reply_to_bot: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> int:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": chat_type,
                **({"title": "A group"} if chat_type != "private" else {}),
            },
            "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Tester"},
            **({"text": text} if text is not None else {}),
            **(extra or {}),
        }
        if text and text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": message["chat"],
                "from": BOT_USER,
                "text": "earlier",
            }
        return self.push_update({"message": message})

    def push_document(
        self,
        chat_id: int,
        name: str,
        data: bytes,
        *,
        declared_size: int | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        expired: bool = False,
    ) -> int:
        """A file sent to the bot; `declared_size` is what the message claims it weighs;
        an `expired` one is named by getFile, but its download is a 404."""
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = (f"documents/{file_id}.bin", data)
        if expired:
            self.expired.add(f"documents/{file_id}.bin")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "application/octet-stream",
            "file_size": len(data) if declared_size is None else declared_size,
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        return self.push_message(chat_id, chat_type=chat_type, extra=extra)

    def push_callback(self, chat_id: int, message_id: int, data: str, user_id: int = 0) -> int:
        """A tap on an inline button under the bot's message `message_id`."""
        query = {
            "id": f"cb{message_id}-{len(self.calls)}",
            "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Tester"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "an answer",
            },
        }
        return self.push_update({"callback_query": query})

    # what the tests read
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            p
            for m, p in list(self.calls)
            if m == "sendMessage" and chat_id in (None, p.get("chat_id"))
        ]

    def methods(self) -> list[str]:
        return [m for m, _ in list(self.calls)]

    async def wait_sent(
        self, count: int, chat_id: int | None = None, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.sent(chat_id)) >= count:
                return self.sent(chat_id)
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} messages to {chat_id}, got {self.sent(chat_id)}")

    # serving
    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        with self._condition:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates:
                self._condition.wait(wait)
            return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return self._get_updates(params)
        if method == "getFile":
            path, data = self.files[str(params.get("file_id"))]
            return {
                "file_id": params["file_id"],
                "file_unique_id": f"u{params['file_id']}",
                "file_size": len(data),
                "file_path": path,
            }
        if method == "sendMessage":
            chat_id = params.get("chat_id")
            params["message_id"] = next(self._message_ids)  # for a test to tap its buttons
            return {
                "message_id": params["message_id"],
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in _TRUE_METHODS:
            return True
        raise KeyError(method)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real server
            # One write per response, sent at once: split small writes meet Nagle's algorithm
            # and delayed ACKs, and every reply would wait ~40 ms on loopback.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read `calls`."""

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def _serve(self) -> None:
                if self.path.startswith("/file/bot"):
                    self._serve_file()
                    return
                _, _, rest = self.path.partition("/bot")
                token, _, method = rest.partition("/")
                params = _parse_body(
                    self.headers.get("Content-Type", ""),
                    self.rfile.read(int(self.headers.get("Content-Length") or 0)),
                )
                if token != api.token:
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                if api.drops.get(method):
                    api.drops[method] -= 1
                    self.close_connection = True  # a network failure, as the client sees it
                    return
                if method != "getUpdates":
                    api.call_times.append(time.monotonic())
                    api.calls.append((method, params))
                pending = api.failures.get(method)
                if pending:
                    retry_after = pending.pop(0)
                    api.served_429 += 1
                    api.calls.pop()
                    api.call_times.pop()
                    self._reply(
                        429,
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {retry_after}",
                            "parameters": {"retry_after": retry_after},
                        },
                    )
                    return
                try:
                    self._reply(200, {"ok": True, "result": api._result(method, params)})
                except KeyError:
                    self._reply(
                        404,
                        {
                            "ok": False,
                            "error_code": 404,
                            "description": "Not Found: method not found",
                        },
                    )

            def _serve_file(self) -> None:
                # the client percent-encodes the path, the token's ':' included
                token, _, path = unquote(self.path)[len("/file/bot") :].partition("/")
                found = [d for p, d in api.files.values() if p == path and p not in api.expired]
                if token != api.token or not found:
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                api.downloads.append(path)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(found[0])))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(found[0])

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may hang up on a long poll while shutting down
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of connections must not be reset
    daemon_threads = True


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Bot API parameters: form fields whose non-string values are JSON-encoded."""
    if not body:
        return {}
    if "json" in content_type:
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        try:
            decoded = json.loads(value)
            params[key] = value if key == "text" or isinstance(decoded, str) else decoded
        except json.JSONDecodeError:
            params[key] = value
    return params
