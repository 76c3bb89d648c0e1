import gzip
import hashlib
import html
import io
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.article import fold_lines
from bot.errors import ArticleError
from bot.readers import (
    document_from,
    load_document,
    load_documents,
    markdown_to_text,
    raw_from_bytes,
    read_file,
    read_stdin,
)
from bot.types import Raw
from tests.hostile import UNSEEN, shown_text


def page_sentences(tmp_path: Path, page: str) -> list[str]:
    path = tmp_path / "page.html"
    path.write_text(page, "utf-8")
    return [s.text for s in load_document(str(path)).sentences]


def body_sentences(path: Path) -> list[str]:
    return [s.text for s in load_document(str(path)).sentences if s.role == "body"]


def test_hard_wrapped_numbered_clauses_become_headings_and_paragraphs(
    debian_docs: tuple[Path, Path],
) -> None:
    contract, _ = debian_docs
    document = load_document(str(contract))
    headings = [s.text for s in document.sentences if s.role == "heading"]
    assert "Debian will remain 100% free" in headings  # "1." is structure, not a sentence
    assert "We will not hide problems" in headings
    sentences = [s.text for s in document.sentences]
    assert "We will never make the system require the use of a non-free component." in sentences
    assert not any(re.fullmatch(r"\d+\.", s) for s in sentences)
    assert not any("____" in s for s in sentences)  # rules are dropped
    assert not any(s.startswith("Debian will remain 100% free We") for s in sentences)
    for sentence in document.sentences:  # offsets point at the words, not the indentation
        assert not document.text[sentence.start].isspace()
        assert not document.text[sentence.end - 1].isspace()


def test_an_html_page_keeps_its_text_and_title_and_drops_navigation(
    debian_docs: tuple[Path, Path],
) -> None:
    _, leaders = debian_docs
    document = load_document(str(leaders))
    assert document.title == "Chapter 2. Leadership"
    texts = [s.text for s in document.sentences]
    assert "Ian Murdock founded Debian in August 1993 and led it until March 1996." in texts
    assert not any("Prev" in t or "Next" in t for t in texts)


CODE_PAGE = """<html><head><title>Choosing a distribution</title></head><body><article>
<h1>Choosing a distribution</h1>
<p>One of the authors was trying to install the <code class="systemitem">labplot</code><a
id="idm251" class="indexterm"></a> package on a machine tracking unstable and it failed.</p>
<p>He then wrote the following script to check which packages could be installed.</p>
<pre><code>apt-get install labplot
apt-cache policy labplot</code></pre>
<ul><li>Pass <code>-j</code> to run jobs in parallel, as the manual says.</li></ul>
</article></body></html>"""


def test_inline_code_stays_in_its_sentence_and_a_code_block_is_left_out(tmp_path: Path) -> None:
    texts = page_sentences(tmp_path, CODE_PAGE)
    assert (
        "One of the authors was trying to install the labplot package on a machine tracking "
        "unstable and it failed." in texts
    )
    assert "Pass -j to run jobs in parallel, as the manual says." in texts
    assert not any("apt-cache" in t for t in texts)


INLINE_PAGE = """<html><head><title>Bridge</title></head><body><article><h1>Bridge</h1>
<p>The bridge reopened on <time datetime="2024-01-02">2 January</time> after repairs.</p>
<p>The mayor said <q>never again</q> to reporters at the opening.</p>
</article></body></html>"""


def test_time_and_inline_quotes_stay_in_their_sentence(tmp_path: Path) -> None:
    texts = page_sentences(tmp_path, INLINE_PAGE)
    # trafilatura drops <time>'s words and makes <q> a block of its own
    assert "The bridge reopened on 2 January after repairs." in texts
    assert "The mayor said never again to reporters at the opening." in texts


LAYOUT_PAGE = """<html><head><title>Library internals</title></head><body>
<table><tr><td><a href="/">Home</a></td><td><h1>Library internals</h1>
<h3>Introduction</h3>
<p>This document describes how the library processes a stylesheet.</p>
<p>Note: this documentation is incomplete, so patches are welcome.</p>
<h3>Basics</h3>
<p>XSLT is a transformation language. It takes an input document and a stylesheet.</p>
</td></tr></table>
<table><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td>maintainer</td></tr></table>
</body></html>"""


def test_a_table_used_for_layout_is_read_as_the_paragraphs_it_holds(tmp_path: Path) -> None:
    texts = page_sentences(tmp_path, LAYOUT_PAGE)
    # a cell holding the whole page was one block, which the verbatim check then left out
    assert "This document describes how the library processes a stylesheet." in texts
    assert "XSLT is a transformation language." in texts
    assert any("Ada" in t and "maintainer" in t for t in texts)  # a data table: a row


RELEASES_PAGE = """<html><head><title>Releases</title></head><body><article><h1>Releases</h1>
<p>The project has shipped many releases, and this page lists them with their dates.</p>
<table><tr><th>Version</th><th>Date</th><th>Notes</th></tr>
<tr><td>1.0</td><td>March 3, 2001</td><td>First release.<br><br>Shipped with docs.</td></tr>
<tr><td>2.0</td><td>May 5, 2005</td><td>Rewrite of the core.</td></tr></table>
<p>Older releases are no longer supported by the maintainers of the project.</p>
</article></body></html>"""


def test_a_data_cell_with_a_blank_line_stays_in_its_row(tmp_path: Path) -> None:
    texts = page_sentences(tmp_path, RELEASES_PAGE)
    # the cell's <br><br> became a paragraph, so the row was read as a layout table: "1.0
    # March 3, 2001" a heading of its own and the notes apart from their version
    assert "1.0 March 3, 2001 First release." in texts
    assert "Shipped with docs." in texts


BREAKS_PAGE = """<html><head><title>Weather</title></head><body><article><h1>Weather</h1>
<p>The week starts wet with heavy rain<br><br>Temperatures will fall on Thursday in the north.</p>
<div>Snow is likely on the hills by Friday night<br />&nbsp;<br/>Roads may close in the
east<br>and the ferries may stop for the weekend.</div>
<p>Fog closed the airport on Monday<br><!-- advert slot --><br>Flights resumed by noon.</p>
<p>Wind reached gale force on Tuesday<br>&#xa0;<br>Trains ran slowly on the coast line.</p>
</article></body></html>"""


def test_two_line_breaks_end_a_paragraph_and_one_does_not(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(BREAKS_PAGE, "utf-8")
    paragraphs = {s.text: s.paragraph for s in load_document(str(path)).sentences}
    # trafilatura made <br><br> one <lb/>: "rain Temperatures will fall" was one citation
    rain = paragraphs.get("The week starts wet with heavy rain")
    assert rain and rain < paragraphs["Temperatures will fall on Thursday in the north."]
    snow = paragraphs.get("Snow is likely on the hills by Friday night")
    # one <br> stays a line break inside its paragraph
    roads = "Roads may close in the east and the ferries may stop for the weekend."
    assert snow and snow < paragraphs[roads], paragraphs
    # a comment or a hex no-break space between two <br> shows nothing: still a blank line
    fog = paragraphs.get("Fog closed the airport on Monday")
    assert fog and fog < paragraphs["Flights resumed by noon."], paragraphs
    wind = paragraphs.get("Wind reached gale force on Tuesday")
    assert wind and wind < paragraphs["Trains ran slowly on the coast line."], paragraphs


def test_title_byline_and_date_lead_an_article_page(tmp_path: Path) -> None:
    from tests.page_server import ARTICLE_HTML

    page = tmp_path / "story.html"
    page.write_text(ARTICLE_HTML, "utf-8")
    document = load_document(str(page))
    roles = {p.text: p.role for p in document.paragraphs}
    assert document.title == "Harbour bridge reopens after repairs"
    assert roles["Harbour bridge reopens after repairs"] == "title"
    assert roles["By Jane Reporter"] == "credit"
    assert document.date == "2024-03-05"
    # the page sets its date as a paragraph too: it leads once
    assert [p.text for p in document.paragraphs].count("2024-03-05") == 1
    text = " ".join(s.text for s in document.sentences)
    assert "240 steel cables" in text
    assert "Subscribe" not in text and "tracking" not in text and "Sport" not in text


def test_a_page_date_is_led_by_as_the_page_shows_it(tmp_path: Path) -> None:
    from tests.page_server import ARTICLE_HTML

    page = tmp_path / "story.html"
    shown = '<time datetime="2024-03-05">March 5, 2024</time>'
    page.write_text(ARTICLE_HTML.replace('<time datetime="2024-03-05">2024-03-05</time>', shown))
    roles = {p.text: p.role for p in load_document(str(page)).paragraphs}
    assert roles.get("March 5, 2024") == "dateline", roles
    hidden = ARTICLE_HTML.replace('<p><time datetime="2024-03-05">2024-03-05</time></p>', "")
    page.write_text(hidden)
    texts = [p.text for p in load_document(str(page)).paragraphs]
    assert not any("2024" in t for t in texts)  # metadata alone is not quoted


def test_markdown_headings_are_structure_and_markup_goes() -> None:
    markdown = (
        "---\ntitle: front matter\n---\n# The Kiln Report\n\nThe **kiln** reached "
        "[900 degrees](http://x.test) on *Monday*.\n\n## Results\n\n- Glaze held.\n"
        "- Two pots cracked.\n\n```\ncode = 'not prose'\n```\n\n![a photo](p.png)\n"
    )
    text = markdown_to_text(markdown)
    assert text.split("\n\n") == [
        "The Kiln Report",
        "The kiln reached 900 degrees on Monday.",
        "Results",
        "Glaze held.",
        "Two pots cracked.",
    ]
    document = document_from(Raw("notes.md", markdown.encode(), "markdown"))
    roles = {p.text: p.role for p in document.paragraphs}
    assert roles["The Kiln Report"] == "title" and roles["Results"] == "heading"
    assert roles["The kiln reached 900 degrees on Monday."] == "body"


def test_markdown_escapes_footnotes_and_link_definitions_read_as_rendered() -> None:
    markdown = (
        "Escaped \\*stars\\* stay, 5 \\* 3 is 15, and `a\\.b` keeps its backslash.[^1]\n\n"
        "See [the guide][ref] for more.\n\n"
        "[ref]: http://example.test/guide\n"
        "[^1]: The footnote says so.\n"
    )
    assert markdown_to_text(markdown).split("\n\n") == [
        "Escaped *stars* stay, 5 * 3 is 15, and a\\.b keeps its backslash.",
        "See the guide for more.",
        "The footnote says so.",
    ]


def test_markdown_badges_leave_nothing_behind() -> None:
    markdown = (
        "# Clippy\n\n[![License: MIT](https://img.shields.io/l.svg)](#license) "
        "[![Build][ci-badge]][ci]\n\nA collection of lints.\n\n"
        "[ci-badge]: https://ci.test/badge.svg\n[ci]: https://ci.test\n"
    )
    assert markdown_to_text(markdown).split("\n\n") == ["Clippy", "A collection of lints."]
    assert markdown_to_text("Declare `int a[][3]` for it.") == "Declare int a[][3] for it."


def test_markdown_keeps_angle_brackets_that_are_no_tag() -> None:
    markdown = (
        "Licensed under <LICENSE-APACHE or https://apache.test/2.0> or <a href=http://x.test>"
        'MIT</a>, <span class="x/y" hidden>your</span> choice.'
    )
    assert markdown_to_text(markdown) == (
        "Licensed under <LICENSE-APACHE or https://apache.test/2.0> or MIT, your choice."
    )


def test_a_markdown_table_is_read_a_row_at_a_time_with_its_column_names() -> None:
    markdown = (
        "# Budget\n\n| Department | Budget | Head |\n|---|---:|---|\n"
        "| Police | $4.2 million | **Maria Lopez** |\n| Parks | $1.1 million | Tom Reed |\n"
        "| Zoo | | Ana Gomez | extra |\n\nAfter | the table.\n"
    )
    assert markdown_to_text(markdown).split("\n\n") == [
        "Budget",
        "Department: Police, Budget: $4.2 million, Head: Maria Lopez.",
        "Department: Parks, Budget: $1.1 million, Head: Tom Reed.",
        "Department: Zoo, Head: Ana Gomez, extra.",
        "After the table.",
    ]
    document = document_from(Raw("budget.md", markdown.encode(), "markdown"))
    rows = [s.text for s in document.sentences if s.text.startswith("Department")]
    assert len(rows) == 3  # one sentence each, read as body, not as headings
    assert {p.role for p in document.paragraphs if p.text.startswith("Department")} == {"body"}


def test_gzip_is_read_and_a_bad_one_refused(tmp_path: Path) -> None:
    good = tmp_path / "a.txt.gz"
    good.write_bytes(gzip.compress(b"Title\n\nThe body is here.\n"))
    assert load_document(str(good)).sentences[-1].text == "The body is here."
    bad = tmp_path / "b.txt.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ArticleError, match="not a valid gzip"):
        load_document(str(bad))


def test_encodings_are_detected_or_refused_clearly(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\u00e9 news\n\nThe caf\u00e9 opened.\n".encode("latin-1"))
    with pytest.raises(ArticleError, match="not UTF-8"):
        load_document(str(latin))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("Title\n\nThe café opened.\n".encode("utf-16"))
    assert load_document(str(utf16)).sentences[-1].text == "The café opened."
    declared = tmp_path / "page.html"
    page = (
        '<html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head><body>'
        "<article><p>The caf\u00e9 opened on Monday with a long queue outside.</p>"
        "<p>Its owner said the \u20ac5 coffee sold out by noon.</p></article></body></html>"
    )
    declared.write_bytes(page.encode("cp1252"))
    text = " ".join(s.text for s in load_document(str(declared)).sentences)
    assert "The café opened on Monday" in text and "€5" in text


def test_a_suffix_does_not_hide_html(tmp_path: Path) -> None:
    page = tmp_path / "saved-page"
    page.write_text("<!DOCTYPE html><html><body><p>Hello there, world.</p></body></html>")
    assert read_file(page).kind == "html"


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W_]+", UNSEEN.sub("", text).lower()))  # "a\u200bb" reads "ab"


def check_sentences(raw: Raw, source_text: str) -> None:
    """Never a crash other than ArticleError; every sentence is a slice of the document and
    every word of it was in the source."""
    try:
        document = document_from(raw)
    except ArticleError:
        return
    folded = fold_lines(document.text)
    available = words(source_text)
    for sentence in document.sentences:
        assert sentence.text.strip()
        assert fold_lines(document.text[sentence.start : sentence.end]) == sentence.text
        assert " ".join(sentence.text.split()) in " ".join(folded.split())
        assert words(sentence.text) <= available, sentence.text


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["text", "markdown", "html"]))
def test_random_bytes_never_crash_a_reader(data: bytes, kind: str) -> None:
    text = data.decode("utf-8", "ignore")
    check_sentences(Raw("fuzz", data, kind), html.unescape(text))


TAGS = st.sampled_from(["p", "div", "h1", "h2", "li", "em", "strong", "span", "nav", "a"])
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 25))):
        tag = draw(TAGS)
        parts.append(f"<{tag}>{html.escape(draw(WORDS))}. {html.escape(draw(WORDS))}</{tag}>")
    return (
        "<html><head><title>"
        + html.escape(draw(WORDS))
        + "</title></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


@FUZZ
@given(html_pages())
def test_random_html_never_crashes_and_never_invents_text(page: str) -> None:
    # what a browser shows: inline tags side by side make one word ("<em>0</em><em>0</em>")
    check_sentences(Raw("fuzz.html", page.encode(), "html"), shown_text(page))


@pytest.mark.parametrize("kind", ["text", "markdown", "html"])
def test_zero_width_characters_and_bidi_marks_are_removed_on_reading(kind: str) -> None:
    hidden = "The summit moved from Mos\u200bcow\u200e to Ri\u2060ga\ufeff and Ta\u200dllinn\u200f."
    # entities are decoded after the bytes are read: they are removed too
    coded = "Talks were held in Vil&#8203;nius&lrm; and War&zwj;saw in the spring."
    emoji = "The lab team \U0001f469\u200d\U0001f52c won the prize this year."  # one picture
    body = f"{hidden}\n\n{coded}\n\n{emoji}" if kind != "text" else f"{hidden}\n\n{emoji}"
    page = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    data = f"<html><body><article>{page}</article></body></html>" if kind == "html" else body
    document = document_from(Raw("x", f"Title\n\n{data}".encode(), kind))
    texts = [s.text for s in document.sentences]
    # they split a word for matching ("Mos\u200bcow" is not "Moscow") and rode in citations
    assert "The summit moved from Moscow to Riga and Tallinn." in texts, texts
    assert kind == "text" or "Talks were held in Vilnius and Warsaw in the spring." in texts
    assert not re.search("[\u200b\u200c\u200e\u200f\u2060\ufeff]", document.text)
    assert emoji in texts  # the joiner inside an emoji stays (trafilatura dropped it)


def _as_kind(body: str, kind: str) -> bytes:
    if kind != "html":
        return f"Title\n\n{body}".encode()
    page = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return f"<html><body><article><h1>Title</h1>{page}</article></body></html>".encode()


@pytest.mark.parametrize("kind", ["text", "markdown", "html"])
def test_a_joiner_that_spells_a_persian_or_hindi_word_stays(kind: str) -> None:
    # the non-joiner in Persian "mi-khaham" and the joiner in Hindi "ksha" are spelling:
    # removed, the citation drew the word joined, misspelt (in HTML, trafilatura removed them)
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    hindi = "\u0915\u094d\u200d\u0937"
    body = f"The word {persian} means I want.\n\nThe letter {hindi} is a conjunct."
    if kind == "html":  # as entities too
        body += f"\n\nAgain: {persian.replace(chr(0x200C), '&zwnj;')} is the word."
    document = document_from(Raw("x", _as_kind(body, kind), kind))
    texts = [s.text for s in document.sentences]
    assert f"The word {persian} means I want." in texts, texts
    assert f"The letter {hindi} is a conjunct." in texts, texts
    assert kind != "html" or f"Again: {persian} is the word." in texts
    # between Latin letters, or a Latin letter and another script, they still go
    loose = document_from(Raw("x", _as_kind("Mos\u200ccow and \u0645\u200cx.", kind), kind))
    assert loose.sentences[-1].text == "Moscow and \u0645x."
    # a combining grapheme joiner on the page (the mark that carries them) shows nothing
    marked = document_from(Raw("x", _as_kind("Mos\u034fcow and Riga.", kind), kind))
    assert marked.sentences[-1].text == "Moscow and Riga."


def test_the_same_page_read_twice_gives_the_same_document(tmp_path: Path) -> None:
    from tests.page_server import ARTICLE_HTML

    page = tmp_path / "story.html"
    page.write_text(ARTICLE_HTML, "utf-8")
    first, second = load_document(str(page)), load_document(str(page))
    assert first.text == second.text
    assert [s.role for s in first.sentences].count("body") == 4


@pytest.mark.parametrize("source", ["ftp://example.com/a.txt", "file:///etc/hostname"])
def test_other_url_schemes_are_refused(source: str) -> None:
    with pytest.raises(ArticleError, match="Only http:// and https://"):
        load_document(source)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01binary\x00", "binary"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"   \n\n  ", "no text"),
        # formats that are not text are named, even when their first bytes read as text
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "is a PDF file"),
        (b"{\\rtf1\\ansi Hello}", "is an RTF file"),
        (b"PK\x03\x04" + b"word/document.xml" * 10, "is a ZIP"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=message):
        load_document(str(path))


def test_stdin_is_read_with_the_size_limit_and_a_terminal_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = b"Title\n\nA story that came down a pipe.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(story)))
    document = load_document("-")
    assert document.source == "stdin:" + hashlib.sha256(story).hexdigest()[:12]
    assert document.sentences[-1].text.endswith("pipe.")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 11)))
    with pytest.raises(ArticleError, match="larger than"):
        read_stdin(limit=10)
    terminal = io.TextIOWrapper(io.BytesIO(b""))
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", terminal)
    with pytest.raises(ArticleError, match="is a terminal"):
        load_document("/dev/stdin")  # waiting for typing would look like a hang


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="not found"):
        load_document(str(tmp_path / "nope.txt"))
    with pytest.raises(ArticleError, match="directory"):
        load_document(str(tmp_path))


@pytest.mark.parametrize(
    "lead", [b"\xef\xbb\xbf", b"<!-- saved from url=(0014)about:internet -->\r\n", b" <!---->\n"]
)
def test_a_page_with_no_suffix_is_html_after_a_bom_or_a_comment(lead: bytes) -> None:
    # piped to 'index -', a page saved by a browser (a comment first) or with a BOM was read
    # as plain text: its tags were cited as sentences
    page = b"<!DOCTYPE html><html><head><title>Rain</title></head><body><article>"
    page += b"<p>Heavy rain is expected in Bergen on Monday.</p></article></body></html>"
    raw = raw_from_bytes(lead + page, "stdin:0123456789ab")
    assert raw.kind == "html"
    sentences = [s.text for s in document_from(raw).sentences]
    assert "Heavy rain is expected in Bergen on Monday." in sentences
    assert not any("<" in s for s in sentences)


def test_stdin_named_twice_is_read_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # 'index - -' read the drained pipe again and failed: "stdin:e3b0c44298fc has no text"
    story = b"Title\n\nA story that came down a pipe.\n"
    other = tmp_path / "other.txt"
    other.write_text("Other\n\nA story from a file.\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(story)))
    documents = load_documents(["-", str(other), "/dev/stdin", "-"])
    assert [d.source[:6] for d in documents] == ["stdin:", str(other)[:6]]


def test_stdin_empty_or_gzipped(monkeypatch: pytest.MonkeyPatch) -> None:
    # empty stdin was "stdin:e3b0c44298fc has no text" (a name the user never gave), and a
    # gzipped story "looks like a binary file", though a .gz file is read
    story = b"Title\n\nA story that came down a pipe.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(story))))
    document = load_document("-")
    assert document.sentences[-1].text == "A story that came down a pipe."
    assert document.source == "stdin:" + hashlib.sha256(story).hexdigest()[:12]
    for empty in (b"", b" \n\n"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(empty)))
        with pytest.raises(ArticleError, match=r"^Standard input is empty"):
            load_document("-")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(story)[:20])))
    with pytest.raises(ArticleError, match=r"^Standard input is"):
        load_document("-")


def test_a_loop_of_symbolic_links_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(ArticleError, match="symbolic links"):
        load_document(str(tmp_path / "a.txt"))


def test_a_second_file_with_the_same_bytes_is_indexed_once_and_said_so(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    for path in (first, second):
        path.write_text("The mayor is Joe Quimby. He was elected in 1990.\n", "utf-8")
    notes: list[str] = []
    documents = load_documents([first, second], notify=notes.append)
    assert [d.source for d in documents] == [str(first)]
    assert notes == [f"{second} has the same bytes as {first}: indexed once."]


def test_markdown_with_no_suffix_is_read_as_markdown() -> None:
    raw = raw_from_bytes(b"# Town news\n\nThe mayor is **Joe Quimby**.\n", "stdin:0123")
    assert raw.kind == "markdown"
    assert document_from(raw).title == "Town news"
    assert raw_from_bytes(b"#!/bin/sh\necho hi\n", "stdin:0123").kind == "text"
    assert raw_from_bytes(b"# Notes\n", "notes.txt").kind == "text"  # a suffix decides
