"""Hostile inputs shared by the tests and `make fuzz`: pages whose text looks like markup,
and an independent reading of what a browser shows of a page."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import strategies as st

# elements a browser sets apart from their neighbours (as bot.webpage, written again here
# with the standard library's parser, so that the test does not check the code by itself)
APART = {
    *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div"),
    *("dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody"),
    *("td", "th", "thead", "title", "tr", "ul"),
}
HIDDEN = {"script", "style"}
# characters a browser draws nothing for and the readers remove: zero-width characters, the
# soft hyphen, the combining grapheme joiner, bidi marks, embeddings, overrides and isolates
UNSEEN = re.compile("[\u00ad\u034f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in HIDDEN
        self.parts.append("\n" if tag in APART else "")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in HIDDEN and self.hidden > 0
        self.parts.append("\n" if tag in APART else "")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_text(page: str) -> str:
    """What a reader sees of a well-formed page, whitespace normalised."""
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return " ".join(UNSEEN.sub("", "".join(parser.parts)).split())


# text that Markdown, HTML or a terminal would read as something else
TRICKY = st.sampled_from(
    [
        "[sic]",
        "4*",
        "**",
        "user_name",
        "__init__",
        "`x`",
        "\\",
        "#",
        "# not a heading",
        "- not a list",
        "1. not a list",
        "|",
        "| a | b |",
        "<fast>",
        "&",
        "&amp;",
        "->",
        "[link](http://x.test)",
        "![img](p.png)",
        "---",
        "> quote",
        "~~",
        "$5",
        "100%",
        "don't",
        "“quoted”",
    ]
)
PLAIN = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn")),
    min_size=1,
    max_size=30,
)
WORD = st.one_of(TRICKY, PLAIN)
WORDS = st.lists(WORD, min_size=3, max_size=12).map(" ".join)
INLINE = st.sampled_from(["b", "i", "em", "strong", "span", "code", "a"])


@st.composite
def prose(draw: st.DrawFn) -> str:
    """A sentence of tricky words, escaped for HTML, a run of them inside an inline tag."""
    words = [html.escape(w, quote=False) for w in draw(st.lists(WORD, min_size=3, max_size=12))]
    if draw(st.booleans()):
        first = draw(st.integers(0, len(words) - 1))
        last = draw(st.integers(first, len(words) - 1))
        tag = draw(INLINE)
        words[first], words[last] = f"<{tag}>{words[first]}", f"{words[last]}</{tag}>"
    return " ".join(words) + draw(st.sampled_from([".", "!", "?", ".", ""]))


@st.composite
def hostile_pages(draw: st.DrawFn) -> str:
    """A well-formed article page whose text is full of markup look-alikes."""
    parts = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["p", "p", "h2", "li", "td", "blockquote"]))
        body = " ".join(draw(st.lists(prose(), min_size=1, max_size=4)))
        if kind == "li":
            parts.append(f"<ul><li>{body}</li><li>{draw(prose())}</li></ul>")
        elif kind == "td":
            parts.append(f"<table><tr><td>{body}</td><td>{draw(prose())}</td></tr></table>")
        else:
            parts.append(f"<{kind}>{body}</{kind}>")
    title = html.escape(draw(WORDS), quote=False)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav><a href='/'>Home</a></nav><article>{''.join(parts)}</article>"
        "<footer>Copyright</footer></body></html>"
    )
