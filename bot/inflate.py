"""Unpacking gzip and deflate with a cap, a chunk at a time.

A few hundred bytes of gzip can unpack to gigabytes, and gzip of gzip multiplies that again,
so no stage may ever produce more than the cap, whatever it is fed. A stream is read whole:
every member of a concatenated gzip file, and a stream cut short is refused, not half read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

from bot.errors import ArticleError

# zlib window bits: 16 + 15 reads a gzip header, 32 + 15 a zlib or a gzip one (HTTP's
# "deflate" is zlib-wrapped, but some servers send gzip under that name)
_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": 32 + zlib.MAX_WBITS,
}


class _Stage:
    """One layer of compression, undone with the output capped at `limit` bytes in all."""

    def __init__(self, encoding: str, limit: int, name: str, error: type[ArticleError]) -> None:
        self._wbits, self._limit, self._name, self._error = _WBITS[encoding], limit, name, error
        self._inflater = zlib.decompressobj(self._wbits)
        self._produced = 0
        self._pending = False  # a member has begun and not yet ended

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            self._pending = True
            try:
                # the bound is never 0, which zlib would read as "no bound"
                chunk = self._inflater.decompress(data, self._limit + 1 - self._produced)
            except zlib.error:
                raise self._error(f"{self._name} is damaged compressed data.") from None
            self._produced += len(chunk)
            out.append(chunk)
            if self._produced > self._limit:
                raise self._error(f"{self._name} unpacks to more than {size_text(self._limit)}.")
            if not self._inflater.eof:
                data = self._inflater.unconsumed_tail  # empty unless the bound was reached
                continue
            self._pending, data = False, self._inflater.unused_data
            if self._wbits == _WBITS["gzip"]:
                data = data.lstrip(b"\0")  # gzip allows zero padding after a member
            self._inflater = zlib.decompressobj(self._wbits)  # the next member, if any
        return b"".join(out)

    def finish(self) -> None:
        if self._pending:
            raise self._error(f"{self._name} is cut short (its compressed data ends early).")


class Decoder:
    """Undoes a list of encodings, as HTTP's Content-Encoding names them (in the order they
    were applied), chunk by chunk; the output of every stage is capped at `limit`."""

    def __init__(
        self,
        encodings: Sequence[str],
        limit: int,
        name: str,
        error: type[ArticleError] = ArticleError,
    ) -> None:
        unknown = [e for e in encodings if e not in _WBITS]
        if unknown:
            raise error(f"{name} is compressed as {unknown[0]!r}, which cannot be read.")
        # the last encoding applied is the first to undo
        self._stages = [_Stage(e, limit, name, error) for e in reversed(encodings)]

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.feed(data)
        return data

    def finish(self) -> None:
        for stage in self._stages:
            stage.finish()


def inflate(
    chunks: Iterable[bytes],
    encodings: Sequence[str],
    limit: int,
    name: str,
    error: type[ArticleError] = ArticleError,
) -> bytes:
    """All of `chunks` unpacked, or `error` when the result would pass `limit` bytes, or
    the data is damaged or cut short."""
    decoder = Decoder(encodings, limit, name, error)
    out = b"".join(decoder.feed(chunk) for chunk in chunks)  # each stage holds to the cap
    decoder.finish()
    return out


def size_text(limit: int) -> str:
    """20 MB, or 1,000 bytes for a limit that is not a whole number of megabytes."""
    return f"{limit:,} bytes" if limit % 2**20 else f"{limit // 2**20} MB"
