"""The CLI as users meet it: real processes, real index, exit codes and one-line errors."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT

Run = Callable[..., subprocess.CompletedProcess[str]]


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def test_ask_quotes_the_answering_sentence_once_under_its_paragraph(run_cli: Run) -> None:
    result = run_cli("ask", "Who heads the Syrian National Coalition?")
    assert result.returncode == 0, result.stderr
    label, quoted = result.stdout.splitlines()[:2]
    assert label == "Paragraph 11:"
    assert quoted.startswith("> Khoja, the head of the Syrian National Coalition")
    assert result.stdout.count("the head of the Syrian National Coalition") == 1
    assert "\x1b" not in result.stdout  # no styling when stdout is not a terminal


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["ask", "--min-confidence", "abc", "Q?"], "Invalid value for '--min-confidence'"),
        (["ask", "--bogus", "Q?"], "No such option '--bogus'"),
        (["nosuch"], "No such command 'nosuch'"),
        (["ask"], "Missing argument"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(run_cli: Run, args: list[str], shown: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and shown in result.stderr, result.stderr


def test_help_and_version_still_exit_0(run_cli: Run) -> None:
    for args in (["--help"], ["ask", "--help"], ["--version"]):
        result = run_cli(*args)
        assert result.returncode == 0 and result.stdout and not result.stderr, args
    bare = run_cli()
    assert bare.returncode == 2 and "Commands:" in bare.stderr + bare.stdout


def test_ask_json_has_the_stable_shape(run_cli: Run, index_dir: Path) -> None:
    result = run_cli(
        "ask", "--index-dir", str(index_dir), "--json", "How many flights did the jets conduct?"
    )
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "answered", "confidence", "generator", "citations"}
    assert set(data["citations"][0]) == {
        "n",
        "document",
        "source",
        "paragraph",
        "sentence",
        "text",
        "score",
        "answer_span",
    }
    assert data["citations"][0]["document"].startswith("US defence chief")
    assert "20 flights" in data["citations"][0]["text"]


def test_batch_gives_one_line_per_input_line_and_goes_on(run_cli: Run) -> None:
    stdin = b"Who is Ashton Carter?\n\n" + b"x" * 100_000 + b"\n\xff\xfe bad\nTell me a joke.\n"
    result = run_cli("ask", "--json", "-", stdin=stdin)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0]["answered"] is True
    assert (
        "empty" in lines[1]["error"]
        and "too long" in lines[2]["error"]
        and "UTF-8" in lines[3]["error"]
    )
    assert lines[4]["answered"] is False and lines[4]["citations"] == []


@pytest.mark.parametrize(("question", "message"), [("   ", "empty"), ("x" * 100_000, "too long")])
def test_bad_questions_exit_non_zero_with_one_line(
    run_cli: Run, question: str, message: str
) -> None:
    result = run_cli("ask", question)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    no_traceback(result)


def test_an_error_naming_a_path_with_a_newline_stays_one_line(run_cli: Run) -> None:
    result = run_cli("index", "--add", "/nonexistent/a\nb\x1b[31m.txt")
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "error: Article file not found: /nonexistent/a\\nb\\x1b[31m.txt"
    ]


def test_chat_json_resolves_follow_ups_and_resets(run_cli: Run) -> None:
    stdin = "Who is Ashton Carter?\nWhere did he speak?\n/reset\n\n"
    lines = [json.loads(x) for x in run_cli("chat", "--json", stdin=stdin).stdout.splitlines()]
    assert "Pentagon" in lines[1]["answer"]
    assert lines[2] == {"reset": True}
    assert "error" in lines[3]


def test_chat_commands_are_not_asked_as_questions(run_cli: Run) -> None:
    stdin = "Who is Ashton Carter?\n/RESET\n/help\nWhere did he speak?\n"
    lines = [json.loads(x) for x in run_cli("chat", "--json", stdin=stdin).stdout.splitlines()]
    assert lines[1] == {"reset": True}
    assert lines[2]["question"] == "/help" and "Unknown command /help" in lines[2]["error"]
    assert "Pentagon" not in lines[3]["answer"]  # "he" is nobody after the reset


@pytest.mark.parametrize(
    ("content", "message", "code"),
    [
        (b"\x00\x01\x02binary", "binary", 3),
        (b"\xe9t\xe9 caf\xe9", "not UTF-8", 3),
        (b"%PDF-1.4\n%%EOF\n", "is a PDF file", 3),
        (None, "not found", 3),
    ],
)
def test_index_refuses_bad_article_files(
    run_cli: Run, tmp_path: Path, content: bytes | None, message: str, code: int
) -> None:
    article = tmp_path / "article.txt"
    if content is not None:
        article.write_bytes(content)
    result = run_cli("index", str(article), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == code and message in result.stderr
    no_traceback(result)


def test_an_unusable_index_directory(run_cli: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    result = run_cli("ask", "--index-dir", str(blocker), "Who is Ashton Carter?")
    assert result.returncode == 4 and "not a directory" in result.stderr
    no_traceback(result)


def test_a_failed_index_leaves_the_old_one_usable(
    run_cli: Run, tmp_path: Path, index_dir: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00binary")
    before = (index_dir / "manifest.json").read_bytes()
    assert run_cli("index", str(bad)).returncode != 0
    assert (index_dir / "manifest.json").read_bytes() == before
    assert run_cli("ask", "Who is Ashton Carter?").returncode == 0


def test_ctrl_c_in_chat_exits_cleanly(index_dir: Path, article_index: object) -> None:
    env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(index_dir)}
    # as a terminal's foreground job: a background shell (nohup, `&`) hands its children
    # SIGINT ignored, and Python keeps it ignored
    foreground = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = ['articlebot', 'chat']; runpy.run_module('bot', run_name='__main__')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", foreground],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert process.stdin and process.stdout
    process.stdin.write(b"Who is Ashton Carter?\n")
    process.stdin.flush()
    process.stdout.readline()  # the first answer is out: the index is loaded
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr.decode() and "Interrupted" in stderr.decode()


def test_help_is_fast_and_lists_the_commands(run_cli: Run) -> None:
    result = run_cli("--help")
    for command in ("index", "ask", "chat", "eval"):
        assert command in result.stdout


def test_an_unknown_model_is_one_line_and_exit_5(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "ask", "--model", str(tmp_path / "no-model"), "--index-dir", str(tmp_path / "i"), "Hi?"
    )
    assert result.returncode == 5 and "Cannot load embedding model" in result.stderr
    no_traceback(result)
    over_an_index = run_cli("ask", "--model", str(tmp_path / "no-model"), "Hi?")
    assert over_an_index.returncode == 5  # the session's index, built with another model
    assert len(over_an_index.stderr.strip().splitlines()) == 1, over_an_index.stderr


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--llm", "gpt4"], {}, 2, "--llm must be"),
        ([], {"ARTICLEBOT_LLM": "claude:opus"}, 2, "--llm must be"),
        (["--llm", "llamacpp:/no/such/model.gguf"], {}, 6, "LLM model file not found"),
        (["--llm", "openai:m"], {"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}, 2, "OPENAI"),
        (["--llm-timeout", "0"], {}, 2, "--llm-timeout"),
        (["--llm-timeout", "inf"], {}, 2, "--llm-timeout"),
        (["--llm-timeout", "nan"], {}, 2, "--llm-timeout"),
        ([], {"ARTICLEBOT_RATE_LIMIT": "10/nan"}, 2, "ARTICLEBOT_RATE_LIMIT"),
    ],
)
def test_a_bad_llm_setting_is_one_line_and_an_exit_code(
    run_cli: Run, args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    result = run_cli("ask", *args, "Who is Carter?", env=env)
    assert result.returncode == code
    assert message in result.stderr
    no_traceback(result)


def test_ask_with_the_bundled_llm(run_cli: Run, gguf_path: Path) -> None:
    result = run_cli(
        "ask",
        "--json",
        "How many flights did the Russian jets conduct?",
        env={"ARTICLEBOT_LLM": f"llamacpp:{gguf_path}"},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["generator"] in ("llm", "fallback")
    assert "20 flights" in data["citations"][0]["text"]


def test_a_url_is_indexed_and_a_failing_fetch_leaves_the_index_usable(
    run_cli: Run, page_server: Any, tmp_path: Path
) -> None:
    index = ["--index-dir", str(tmp_path / "web")]
    refused = run_cli("index", *index, page_server.url("/article.html"))
    assert refused.returncode == 3
    assert (
        "private address (127.0.0.1)" in refused.stderr and "--allow-private-urls" in refused.stderr
    )
    no_traceback(refused)
    assert not (tmp_path / "web" / "manifest.json").exists()

    built = run_cli("index", *index, "--allow-private-urls", page_server.url("/article.html"))
    assert built.returncode == 0, built.stderr
    manifest_before = (tmp_path / "web" / "manifest.json").read_text()
    for bad in ("/image.png", "/missing", "/loop"):
        failed = run_cli("index", *index, "--add", "--allow-private-urls", page_server.url(bad))
        assert failed.returncode == 3 and failed.stderr.count("\n") == 1, failed.stderr
        no_traceback(failed)
    assert (tmp_path / "web" / "manifest.json").read_text() == manifest_before

    answer = run_cli("ask", *index, "--json", "How many steel cables did engineers replace?")
    data = json.loads(answer.stdout)
    assert data["answered"] and "240 steel cables" in data["citations"][0]["text"]
    assert data["citations"][0]["source"] == page_server.url("/article.html")
    assert data["citations"][0]["document"] == "Harbour bridge reopens after repairs"


def test_add_with_no_source_keeps_what_is_indexed_and_adds_nothing(
    run_cli: Run, tmp_path: Path
) -> None:
    index = ["--index-dir", str(tmp_path / "one")]
    empty = run_cli("index", *index, "--add")
    assert empty.returncode == 3 and "Nothing to index" in empty.stderr
    story = tmp_path / "story.txt"
    story.write_text("Bridge reopens\n\nThe bridge reopened on Monday after repairs.\n", "utf-8")
    assert run_cli("index", *index, str(story)).returncode == 0
    again = run_cli("index", *index, "--add")  # as when moving it to another --store
    assert again.returncode == 0, again.stderr
    assert "1 document(s)" in again.stdout and "article.txt" not in again.stdout


@pytest.mark.parametrize("name", ["/dev/stdin", "-"])
def test_an_article_piped_to_stdin_is_indexed(run_cli: Run, tmp_path: Path, name: str) -> None:
    # `cat story.txt | articlebot index /dev/stdin` said "not found": a pipe has no path
    index = ["--index-dir", str(tmp_path / "piped")]
    story = (
        "Bridge reopens\n\nThe bridge reopened on Monday after 240 steel cables were replaced.\n"
    )
    built = run_cli("index", *index, name, stdin=story)
    assert built.returncode == 0, built.stderr
    assert re.search(r"Indexed Bridge reopens \(stdin:[0-9a-f]{12}\)", built.stdout)
    answer = run_cli("ask", *index, "--json", "How many steel cables were replaced?")
    assert "240 steel cables" in json.loads(answer.stdout)["citations"][0]["text"]
    # a second story piped with --add joins the first; the first piped again changes nothing
    other = "Ferry delayed\n\nThe ferry sailed three hours late because of fog.\n"
    assert run_cli("index", *index, "--add", name, stdin=other).returncode == 0
    again = run_cli("index", *index, "--add", name, stdin=story)
    assert again.returncode == 0 and "2 document(s)" in again.stdout, again.stdout
    listed = run_cli("sources", *index).stdout
    assert "Bridge reopens" in listed and "Ferry delayed" in listed


def test_sources_lists_and_ask_source_limits(
    run_cli: Run, page_server: Any, tmp_path: Path
) -> None:
    index = ["--index-dir", str(tmp_path / "two")]
    url = page_server.url("/article.html")
    built = run_cli("index", *index, "--allow-private-urls", "data/article.txt", url)
    assert built.returncode == 0, built.stderr
    listed = run_cli("sources", *index, "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["title"] for r in rows] == [
        "US defence chief says Russia ‘probably’ not targeting ISIS",
        "Harbour bridge reopens after repairs",
    ]
    assert rows[1]["source"] == url and rows[0]["paragraphs"] == 30
    text = run_cli("ask", *index, "Who is the mayor?")
    assert "Harbour bridge reopens after repairs, paragraph " in text.stdout
    assert f"  {url}#:~:text=Mayor%20Ana%20Ruiz" in text.stdout
    limited = run_cli("ask", *index, "--source", "article.txt", "--json", "Who is the mayor?")
    assert all(
        "harbour" not in c["document"].lower() for c in json.loads(limited.stdout)["citations"]
    )
    unknown = run_cli("ask", *index, "--source", "nope", "Who is the mayor?")
    assert unknown.returncode == 2 and "No indexed document matches 'nope'" in unknown.stderr


@pytest.mark.parametrize("url", ["http://[zz/", "http://user:s3cret@[zz/"])
def test_a_malformed_url_is_one_line_and_exit_3(run_cli: Run, tmp_path: Path, url: str) -> None:
    result = run_cli("index", url, "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 3 and "not a valid URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "s3cret" not in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["sources"], b""),
        (["sources", "--json"], b""),
        (["ask", "Who is Ashton Carter?"], b""),
        (["ask", "--json", "-"], b"Who is Ashton Carter?\n"),
        (["chat", "--json"], b"Who is Ashton Carter?\n"),
    ],
)
def test_a_full_stdout_is_one_line_and_exit_7(
    index_dir: Path, article_index: object, args: list[str], stdin: bytes
) -> None:
    env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(index_dir)}
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            stdout=full,
            stderr=subprocess.PIPE,
            env=env,
            cwd=PROJECT_ROOT,
            timeout=300,
        )
    stderr = done.stderr.decode()
    assert done.returncode == 7, stderr
    assert stderr.startswith("error: Cannot write the output") and stderr.count("\n") == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


def test_a_reader_that_goes_away_ends_the_batch_quietly(
    index_dir: Path, article_index: object
) -> None:
    env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(index_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(b"Who is Ashton Carter?\n" * 200)
    process.stdin.close()
    process.stdout.readline()  # one answer, then the reader hangs up, as `| head -1` does
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and not stderr.strip()


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("ask", os.fsdecode(b"who\x9b is carter")), "The question is not UTF-8"),
        (("index", os.fsdecode(b"/tmp/article\xff.txt")), "The source is not UTF-8"),
    ],
)
def test_arguments_that_are_not_utf8_are_one_line_and_exit_2(
    run_cli: Run, args: tuple[str, ...], shown: str
) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and shown in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    no_traceback(result)


def test_index_will_not_write_into_a_directory_of_other_files(run_cli: Run, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "gen-2024-holiday").mkdir(parents=True)
    kept = [photos / "gen-2024-holiday" / "p.jpg", photos / "tables.bin", photos / "notes.txt"]
    for path in kept:
        path.write_bytes(b"precious")
    result = run_cli("index", "--index-dir", str(photos), "data/article.txt")
    assert result.returncode == 4 and "not an index" in result.stderr
    assert all(path.read_bytes() == b"precious" for path in kept)
    assert sorted(p.name for p in photos.iterdir()) == [
        "gen-2024-holiday",
        "notes.txt",
        "tables.bin",
    ]
    no_traceback(result)


def test_a_page_with_no_text_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><script>var x = 1;</script></body></html>")
    result = run_cli("index", "--index-dir", str(tmp_path / "idx"), str(page))
    assert result.returncode == 3 and "no readable text" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
