"""The command line: a thin edge over the core. Errors become one line and an exit code."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from bot.cli_io import EXIT_INTERRUPTED, echo, edge, emit_json, one_line, output_error
from bot.cli_options import answer_options, common_options, make_settings
from bot.errors import ConfigError, InputError
from bot.settings import Settings


def load_answerer(settings: Settings) -> Any:
    from bot.core import Answerer
    from bot.index import open_index
    from bot.llm import make_llm

    llm = make_llm(settings)
    index = open_index(settings, notify=lambda m: echo(m, err=True))
    return Answerer(index, settings, llm)


class _OneLineErrors(click.Group):
    """Click's usage errors as ours: one line ("error: No such option: --x. ..."), exit 2,
    not its four lines of usage, hint, blank and message."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        if not standalone_mode:
            return super().main(args, standalone_mode=False, **extra)
        try:
            returned = super().main(args, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:  # bare `articlebot`: the help
            error.show()
            sys.exit(error.exit_code)
        except click.ClickException as error:
            echo(f"error: {' '.join(error.format_message().split())}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            echo("\nInterrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(returned if isinstance(returned, int) else 0)  # --help, --version: 0


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="articlebot")
def main() -> None:
    """Answer questions about a news article, citing its sentences verbatim."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # its "discarding data: None" came before our own one line about a page with no text
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    # "Could not resolve the revision of '/nonexistent'" came before our one line
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


@main.command("index")
@click.argument("sources", nargs=-1)
@click.option(
    "--add",
    is_flag=True,
    help="Add to the documents already indexed (with no SOURCE, keep them as they are: "
    "to move an index to another --store).",
)
@click.option(
    "--allow-private-urls",
    is_flag=True,
    help="Allow URLs on private, loopback and link-local addresses (off: SSRF protection).",
)
@common_options
@edge
def index_command(
    sources: tuple[str, ...],
    add: bool,
    allow_private_urls: bool,
    index_dir: Path | None,
    model: str | None,
) -> None:
    """Index SOURCE files (.txt, .md, .html, optionally .gz) and http(s) URLs
    (default: data/article.txt); '-' reads one piped to stdin. Unchanged documents are not
    embedded again."""
    from bot.fetch import FetchPolicy
    from bot.index import build_index
    from bot.readers import load_documents

    settings = make_settings(index_dir, model)
    notify = lambda message: echo(message, err=True)  # noqa: E731
    if sources or not add:
        policy = FetchPolicy(allow_private_urls)
        documents = load_documents(sources or [settings.article], policy, notify)
    else:
        documents = []  # --add alone rewrites what is indexed, adding nothing
    built = build_index(settings, documents, add=add, notify=notify)
    for document in built.documents:
        echo(
            f"Indexed {one_line(document.title)} ({one_line(document.source)}): "
            f"{len(document.paragraphs)} "
            f"paragraphs, {len(document.sentences)} sentences"
        )
    echo(f"{len(built.documents)} document(s) -> {settings.index_dir}")


@main.command("sources")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@common_options
@edge
def sources_command(as_json: bool, index_dir: Path | None, model: str | None) -> None:
    """List the documents in the index."""
    from bot.index import open_index

    settings = make_settings(index_dir, model)
    index = open_index(settings, notify=lambda m: echo(m, err=True))
    for number, document in enumerate(index.documents, start=1):
        if as_json:
            emit_json(
                {
                    "title": document.title,
                    "source": document.source,
                    "date": document.date,
                    "paragraphs": len(document.paragraphs),
                    "sentences": len(document.sentences),
                    "sha256": document.sha256,
                }
            )
        else:
            echo(f"{number}. {document.title}\n   {document.source}")
            date = f"{document.date}; " if document.date else ""
            echo(
                f"   {date}{len(document.paragraphs)} paragraphs, "
                f"{len(document.sentences)} sentences"
            )


@main.command()
@click.argument("questions", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option(
    "--source", "source", default=None, help="Answer only from this document (see `sources`)."
)
@answer_options
@common_options
@edge
def ask(
    questions: tuple[str, ...],
    as_json: bool,
    source: str | None,
    llm: str | None,
    llm_timeout: float | None,
    min_confidence: float | None,
    index_dir: Path | None,
    model: str | None,
) -> None:
    """Answer each QUESTION; '-' reads one question per line from stdin."""
    from bot.core import validate_question

    settings = make_settings(index_dir, model, llm, llm_timeout, min_confidence)
    if "-" not in questions:
        for question in questions:
            validate_question(question, settings.max_question_chars)
    answerer = load_answerer(settings)
    if source is not None:
        answerer.index.find(source)  # a name that matches nothing fails before any answer
    for question in questions:
        if question == "-":
            for line in stdin_lines():
                print_result(answerer, line, as_json, batch=True, source=source)
        else:
            print_result(answerer, question, as_json, batch=False, source=source)


def stdin_lines() -> Iterator[str | bytes]:
    """Lines of stdin, decoded when they are UTF-8 and left as bytes when they are not."""
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield line


def print_result(
    answerer: Any, question: str | bytes, as_json: bool, *, batch: bool, source: str | None = None
) -> None:
    """Answer and print; in a batch a bad line becomes an error object and the batch goes on."""
    try:
        if isinstance(question, bytes):
            raise InputError("The question is not UTF-8 text.")
        answer = answerer.answer(question, source=source)
    except InputError as error:
        if not batch:
            raise
        shown = question.decode("utf-8", "replace") if isinstance(question, bytes) else question
        if as_json:
            emit_json({"question": shown[:200], "error": error.message})
        else:
            echo(f"error: {error.message}", err=True)
        return
    if as_json:
        emit_json(answer.to_json())
    else:
        echo(format_answer(answer, len(answerer.index.documents) > 1))


def format_answer(answer: Any, name_documents: bool = False) -> str:
    """The answer laid out for a person (bot.layout): each cited sentence quoted once, its
    answering phrase in bold (click drops the styling when stdout is not a terminal)."""
    from bot.layout import text_answer

    return text_answer(answer, name_documents, bold=lambda phrase: click.style(phrase, bold=True))


@main.command()
@click.option(
    "--json", "as_json", is_flag=True, help="Read questions from stdin, write JSON lines."
)
@answer_options
@common_options
@edge
def chat(
    as_json: bool,
    llm: str | None,
    llm_timeout: float | None,
    min_confidence: float | None,
    index_dir: Path | None,
    model: str | None,
) -> None:
    """Hold a conversation; follow-ups use the history. '/reset' starts over."""
    from bot.types import Turn

    answerer = load_answerer(make_settings(index_dir, model, llm, llm_timeout, min_confidence))
    interactive = sys.stdin.isatty() and not as_json
    if interactive:
        title = answerer.index.document.title
        echo(f"Ask about: {title}\n(/reset starts over, Ctrl-D quits)")
    history: list[Turn] = []
    for line in chat_lines(interactive):
        command = line.strip() if isinstance(line, str) else ""
        if command.lower() == "/reset":
            history.clear()
            emit_json({"reset": True}) if as_json else echo("(conversation reset)")
            continue
        if re.fullmatch(r"/\w+", command):  # "/etc/passwd is whose?" is still a question
            message = f"Unknown command {command}: /reset starts over, anything else is asked."
            emit_json({"question": command, "error": message}) if as_json else echo(
                f"error: {message}", err=True
            )
            continue
        if interactive and isinstance(line, str) and not line.strip():
            continue
        answer = answer_in_chat(answerer, line, history, as_json)
        if answer is not None:
            history.append(Turn(answer.question, answer))


def chat_lines(interactive: bool) -> Iterator[str | bytes]:
    if not interactive:
        yield from stdin_lines()
        return
    while True:
        try:
            yield input("> ")
        except EOFError:
            echo()
            return
        except OSError as error:  # the prompt could not be written
            raise output_error(error) from None


def answer_in_chat(answerer: Any, line: str | bytes, history: list[Any], as_json: bool) -> Any:
    try:
        if isinstance(line, bytes):
            raise InputError("The question is not UTF-8 text.")
        answer = answerer.answer(line, history)
    except InputError as error:
        shown = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        emit_json({"question": shown[:200], "error": error.message}) if as_json else echo(
            f"error: {error.message}", err=True
        )
        return None
    several = len(answerer.index.documents) > 1
    emit_json(answer.to_json()) if as_json else echo(format_answer(answer, several) + "\n")
    return answer


@main.command()
@click.option(
    "--token-file", type=click.Path(path_type=Path), help="Read the bot token from this file."
)
@click.option("--base-url", default=None, help="Bot API base URL, e.g. http://127.0.0.1:8081/bot")
@click.option(
    "--webhook-url", default=None, help="Serve a webhook at this public URL instead of polling."
)
@click.option("--listen", default=None, help="Webhook listen address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Webhook port (default 8443).")
@click.option(
    "--allow-private-urls", is_flag=True, help="Let chats read pages on private addresses."
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the chats' articles are kept (default: $ARTICLEBOT_STATE_DIR or state/).",
)
@answer_options
@common_options
@edge
def telegram(
    token_file: Path | None,
    base_url: str | None,
    webhook_url: str | None,
    listen: str | None,
    port: int | None,
    allow_private_urls: bool,
    state_dir: Path | None,
    llm: str | None,
    llm_timeout: float | None,
    min_confidence: float | None,
    index_dir: Path | None,
    model: str | None,
) -> None:
    """Run the Telegram bot (token from $TELEGRAM_BOT_TOKEN or --token-file)."""
    from bot.settings import read_token_file
    from bot.telegram import run_telegram

    settings = make_settings(index_dir, model, llm, llm_timeout, min_confidence).with_overrides(
        telegram_token=read_token_file(token_file) if token_file else None,
        telegram_base_url=base_url,
        webhook_url=webhook_url,
        webhook_listen=listen,
        webhook_port=port,
        allow_private_urls=allow_private_urls or None,
        state_dir=state_dir,
    )
    if not settings.telegram_token:
        raise ConfigError("No Telegram token: set TELEGRAM_BOT_TOKEN or pass --token-file.")
    logging.getLogger().setLevel(logging.INFO)
    run_telegram(settings, load_answerer)


@main.command("eval")
@click.argument("qa_file", metavar="QA_FILE|MANIFEST", type=click.Path(path_type=Path))
@click.option(
    "--answers",
    "answers_out",
    type=click.Path(path_type=Path),
    help="Also write the answers as JSON lines (with a QA file).",
)
@click.option(
    "--baseline", is_flag=True, help="Show the textbook top-1 sentence baseline beside (manifest)."
)
@answer_options
@common_options
@edge
def eval_command(
    qa_file: Path,
    answers_out: Path | None,
    baseline: bool,
    llm: str | None,
    llm_timeout: float | None,
    min_confidence: float | None,
    index_dir: Path | None,
    model: str | None,
) -> None:
    """Score QA_FILE (JSON lines) against the index as ../shared/eval/score.py does, or
    every document of a MANIFEST (.json) on its own, one row each. With --llm, also the
    faithfulness of the generated sentences, with the guard and without it."""
    from bot.cli_eval import evaluate_file, evaluate_manifest

    settings = make_settings(index_dir, model, llm, llm_timeout, min_confidence)
    if qa_file.suffix == ".json":
        if answers_out:
            raise InputError("--answers goes with a QA file, not a manifest.")
        echo(evaluate_manifest(qa_file, settings, baseline))
        return
    if baseline:
        raise InputError("--baseline goes with a manifest (.json), not a QA file.")
    if answers_out and _same_file(answers_out, qa_file):
        raise InputError(f"--answers {answers_out} would overwrite the QA file; name another file.")
    evaluate_file(qa_file, load_answerer(settings), answers_out)


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file (a link or another spelling of it included)."""
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except (OSError, RuntimeError):
        return False
