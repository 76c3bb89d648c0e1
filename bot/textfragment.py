"""Links that open a web page at a cited sentence: URL text fragments (`#:~:text=`).

A browser that supports them (Chrome, Edge, Safari, Firefox 131+) scrolls to the first match
of the fragment's text and highlights it; one that does not just opens the page. The text
is matched against what the page shows, case and whitespace aside, which is exactly what a
citation of a page is (bot.webpage keeps the visible text, only whitespace normalised).

The directive is `text=[prefix-,]textStart[,textEnd][,-suffix]`: '-', ',' and '&' are its
syntax, so inside the text they must be percent-encoded, as every other character that is
not unreserved. A long sentence is named by its first and last few words (textStart,
textEnd), which keeps the link short and still matches the whole sentence.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

WHOLE_UP_TO = 80  # characters of a sentence given whole; longer ones by their ends
END_WORDS = 5  # words in textStart and in textEnd
MAX_LINK = 2000  # characters: a longer link is left out rather than sent


def encode_text(text: str) -> str:
    """`text` percent-encoded for a text directive: UTF-8, every reserved character, and the
    directive's own '-', ',' and '&' (which `quote` leaves alone or would)."""
    return quote(" ".join(text.split()), safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str:
    """`textStart` or `textStart,textEnd` for `sentence`, encoded."""
    words = sentence.split()
    if len(" ".join(words)) <= WHOLE_UP_TO or len(words) <= 2 * END_WORDS:
        return encode_text(sentence)
    return f"{encode_text(' '.join(words[:END_WORDS]))},{encode_text(' '.join(words[-END_WORDS:]))}"


def sentence_link(url: str, sentence: str) -> str | None:
    """`url` opened at `sentence`, or None when `url` is not a web page's address or the
    sentence has no text to find."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or not sentence.split():
        return None
    page = url.split("#", 1)[0]  # a fragment of the page's own gives way to ours
    link = f"{page}#:~:text={text_directive(sentence)}"
    return link if len(link) <= MAX_LINK else None
