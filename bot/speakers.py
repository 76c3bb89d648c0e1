"""Who an index quotes, found without reading the whole text for each name.

A name is quoted when the text says "NAME said", "NAME, the head of X, stated" or "said
NAME" (bot.text.SPEECH_VERBS). Every place where a name could end before a speech verb, or
start after one, is found once, when the index is built, and kept sorted by the text next to
it. A question's name is then looked up by binary search and checked against the text
itself: the same answer as searching the whole text, at the cost of a few probes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from bot.text import SPEECH_VERBS, looks_like_organisation, names

KEY_CHARS = 16
_VERB_AFTER = rf"\s+(?:also\s+)?{SPEECH_VERBS}\b"
# where "NAME said" or "NAME, the head of X, said" lets a name end
_BEFORE_VERB = re.compile(rf"(?<!\s)(?={_VERB_AFTER})|,(?=[^.,]{{0,80}},{_VERB_AFTER})")
# where "said NAME" lets a name start
_AFTER_VERB = re.compile(rf"{SPEECH_VERBS},?\s+")
_WORD = re.compile(r"\w")
Arrays = dict[str, np.ndarray]


def build_speakers(text: str) -> Arrays:
    """Name ends (keyed by the text before them, reversed) and starts (keyed by the text
    after them), as byte offsets into `text` encoded as UTF-8."""
    ends = [m.start() for m in _BEFORE_VERB.finditer(text)]
    starts = [m.end() for m in _AFTER_VERB.finditer(text)]
    end_keys = [text[max(0, e - KEY_CHARS) : e][::-1] for e in ends]
    start_keys = [text[s : s + KEY_CHARS] for s in starts]
    arrays: Arrays = {}
    for name, positions, keys in (("ends", ends, end_keys), ("starts", starts, start_keys)):
        order = sorted(range(len(keys)), key=lambda i: keys[i].encode())
        arrays[f"speaker_{name}"] = byte_offsets(text, [positions[i] for i in order])
        encoded = [keys[i].encode("utf-8") for i in order]
        arrays[f"speaker_{name}_keys"] = np.array(encoded, dtype=f"S{4 * KEY_CHARS}")
    return arrays


def byte_offsets(text: str, positions: list[int]) -> np.ndarray:
    """UTF-8 byte offsets of character positions, in one pass over the text."""
    found: dict[int, int] = {}
    at = done = 0
    for position in sorted(set(positions)):
        done += len(text[at:position].encode("utf-8"))
        found[position], at = done, position
    return np.array([found[p] for p in positions], dtype=np.int64)


class Speakers:
    """`quotes(name)` over the arrays of `build_speakers` and the text they index."""

    def __init__(self, arrays: Arrays, text: np.ndarray) -> None:
        self.arrays = arrays
        self.text = text  # the UTF-8 bytes, memory-mapped

    def quotes(self, name: str) -> bool:
        """Whether the text quotes `name` (an organisation never speaks here)."""
        if looks_like_organisation(name):
            return False
        wanted = name.encode("utf-8")
        before = name[::-1][:KEY_CHARS].encode("utf-8")
        for end in self._matching("ends", before):
            if end >= len(wanted) and self.text[end - len(wanted) : end].tobytes() == wanted:
                return True
        after = name[:KEY_CHARS].encode("utf-8")
        return any(
            self.text[start : start + len(wanted)].tobytes() == wanted
            and self._boundary(start + len(wanted), name[-1:] or " ")  # a start follows space
            for start in self._matching("starts", after)
        )

    def _matching(self, kind: str, prefix: bytes) -> list[int]:
        """Offsets whose key starts with `prefix`."""
        keys = self.arrays[f"speaker_{kind}_keys"]
        width = keys.dtype.itemsize
        prefix = prefix[:width]
        low = int(np.searchsorted(keys, np.array(prefix, dtype=keys.dtype)))
        if len(prefix) == width:
            high = int(np.searchsorted(keys, np.array(prefix, dtype=keys.dtype), side="right"))
        else:
            high = int(np.searchsorted(keys, np.array(prefix + b"\xff", dtype=keys.dtype)))
        return [int(n) for n in self.arrays[f"speaker_{kind}"][low:high]]

    def _boundary(self, at: int, last: str) -> bool:
        """The regular expression's \\b after the name: a word character on one side only."""
        following = self.text[at : at + 4].tobytes().decode("utf-8", "ignore")[:1]
        return _is_word(last) != (bool(following) and _is_word(following))


def _is_word(character: str) -> bool:
    return _WORD.match(character) is not None


def quoted_in(text: str) -> Callable[[str], bool]:
    """The reference reading: search the whole text (the tests compare the two)."""

    def quotes(name: str) -> bool:
        if looks_like_organisation(name):
            return False
        escaped = re.escape(name)
        said = rf"{escaped}(?:,[^.,]{{0,80}},)?\s+(?:also\s+)?{SPEECH_VERBS}\b"
        pattern = rf"{said}|{SPEECH_VERBS},?\s+{escaped}\b"
        return re.search(pattern, text) is not None

    return quotes


# he/she after a mention, in its sentence or opening the next; Mr/Mrs/Ms just before it
_HE = re.compile(r"\b(?:he|him|his|himself)\b", re.I)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
_OPENS_WITH_PRONOUN = re.compile(r"^[\"'“‘]?(?:he|she|his|her)\b", re.I)
_TITLE_HE = re.compile(r"\bMr\.?\s+$")
_TITLE_SHE = re.compile(r"\b(?:Mrs|Ms|Miss)\.?\s+$")


def pronoun_in(mentions: Sequence[tuple[str, str]], name: str) -> str:
    """ "he" or "she" when the text plainly refers to `name` so, else "": counted over
    sentences that mention its last word, each with the sentence after it. A sentence's
    pronouns after the name count, and the next sentence's when it opens with one."""
    if not name.split():
        return ""
    surname = re.compile(rf"\b{re.escape(name.split()[-1])}\b")  # not "Sam" in "Samuel"
    he = she = 0
    for sentence, following in mentions:
        found = surname.search(sentence)
        if found is None:
            continue
        before, after = sentence[: found.start()], sentence[found.end() :]
        if _OPENS_WITH_PRONOUN.match(following):
            after = f"{after} {following}"
        he += len(_HE.findall(after)) + 3 * bool(_TITLE_HE.search(before))
        she += len(_SHE.findall(after)) + 3 * bool(_TITLE_SHE.search(before))
    if he > 2 * she:
        return "he"
    if she > 2 * he:
        return "she"
    return ""


def shares_last_name(mentions: Sequence[tuple[str, str]], name: str) -> bool:
    """Whether someone else mentioned goes by the last name of `name`: a run of capitalised
    words ending in it that is neither the last name alone nor ends in the whole name
    ("Thomas Sam, 42, and his wife Manju Sam")."""
    surname = name.split()[-1]
    for sentence, following in mentions:
        for run in names(f"{sentence} {following}"):
            if run.split()[-1] == surname and run != surname and not run.endswith(name):
                return True
    return False
