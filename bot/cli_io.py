"""The command line's edge: what it prints, and how it fails.

Our errors become one line on stderr and an exit code. Writing the output can fail too: a
full disk (`> /dev/full`) is one line and exit 7; a reader that goes away (`| head -1`)
ends the command quietly, with the shell's code for it, 141.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import PurePath
from typing import Any, TypeVar

import click

from bot.errors import ArticlebotError, InputError, OutputError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


def echo(text: str = "", err: bool = False) -> None:
    """click.echo; on stdout, a failed write is an OutputError."""
    try:
        click.echo(text, err=err)
    except OSError as error:
        if err:
            return  # nowhere left to say anything
        raise output_error(error) from None


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Control characters shown as escapes: a path holding a newline ("a\\nb.txt") split an
    error in two lines, and an escape sequence could restyle the terminal."""
    return _CONTROL.sub(lambda match: ascii(match.group(0))[1:-1], text)


def emit_json(value: dict[str, Any]) -> None:
    """One JSON line, flushed at once, so a pipeline reads each answer as it comes."""
    echo(json.dumps(value, ensure_ascii=False))


def output_error(error: OSError) -> OutputError:
    reason = error.strerror or type(error).__name__
    return OutputError(
        f"Cannot write the output ({reason}).", broken_pipe=error.errno == errno.EPIPE
    )


def edge(command: F) -> F:
    """Turn our errors into one line on stderr and an exit code; Ctrl-C exits cleanly; the
    output is flushed before the command counts as done."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _check_utf8(kwargs)
            result = command(*args, **kwargs)
            _flush_stdout()
            return result
        except OutputError as error:
            _silence_stdout()
            if error.broken_pipe:
                sys.exit(EXIT_BROKEN_PIPE)
            echo(f"error: {one_line(error.message)}", err=True)
            sys.exit(error.exit_code)
        except ArticlebotError as error:
            echo(f"error: {one_line(error.message)}", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            echo("\nInterrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def _check_utf8(arguments: dict[str, Any]) -> None:
    """Bytes of the command line that are not UTF-8 reach us as lone surrogates, which no
    tokenizer, encoder or file name in a manifest can take: say so at once."""
    for name, value in arguments.items():
        values = value if isinstance(value, tuple) else (value,)
        for one in values:
            if isinstance(one, str | PurePath) and _SURROGATE.search(str(one)):
                what = _ARGUMENT_NAMES.get(name, f"--{name.replace('_', '-')}")
                raise InputError(f"{what} is not UTF-8 text: {ascii(str(one))[:80]}")


_SURROGATE = re.compile("[\ud800-\udfff]")
_ARGUMENT_NAMES = {"questions": "The question", "sources": "The source", "qa_file": "QA_FILE"}


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except OSError as error:
        raise output_error(error) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what could not be
    written fails no more ('Exception ignored ... BrokenPipeError')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout to redirect
        pass
