#!/usr/bin/env python3
"""Check the hand-written evaluation sets listed in data/eval/manifest.json.

usage: python3 data/eval/check_sets.py [--overlap]   (run from anywhere)

For every QA / chat file it checks:
  * each line parses as JSON and has exactly the expected keys;
  * ids are well formed (<short>-a01 / -u01 / -f01) and unique across all files;
  * every evidence string occurs verbatim in the source (whitespace runs folded
    to one space on both sides; the Debian texts are hard-wrapped) and lies inside
    ONE sentence (sentences approximated by splitting paragraphs at '. ', '? ', '! '
    before a capital/digit/quote, not after single-letter initials or Mr./Dr./St.);
  * every answer_any phrase occurs (case-insensitive, after the scorer's
    normalisation) in the sentence containing at least one of the evidence strings;
  * the counts: news QA >= 12 answerable and >= 6 unanswerable, news chat >= 3,
    Debian QA exactly 8 answerable + 2 unanswerable; chats have >= 2 turns.
Warnings (not errors): an evidence string that contains something a sentence
splitter may cut at ('. ' etc.), or that occurs in more than one sentence.
With --overlap it also prints, for each answerable question, the content words
it shares with its evidence sentence (to review paraphrase questions).
Exit status 1 when there are errors.
"""
import gzip
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

ANSWERABLE_KEYS = {"id", "q", "answer_any", "evidence_any"}
UNANSWERABLE_KEYS = {"id", "q", "unanswerable"}
CHAT_KEYS = {"id", "turns", "answer_any", "evidence_any"}
CHAT_UNANSWERABLE_KEYS = {"id", "turns", "unanswerable"}  # a follow-up the text never answers
NO_SPLIT_AFTER = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no"}
STOP = set("""a an the of in on at to for from by with and or but is are was were be been being
do does did has have had what who whom whose which when where why how many much did
it its this that these those he she they his her their them him i you we our us your
as into than then there any all each every one not no yes if so about after before
would will could should can may might must shall up out over under more most other either neither""".split())


def fold(s):
    return re.sub(r"\s+", " ", s).strip()


def norm(s):
    """The scorer's normalisation (score.py)."""
    s = unicodedata.normalize("NFKC", s or "")
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", s).strip().lower()


def load_text(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read()
    with open(path, encoding="utf-8") as f:
        return f.read()


BOUNDARY = re.compile(r"[.!?][\"'\u201c\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def split_sentences(paragraph):
    out, start = [], 0
    for m in BOUNDARY.finditer(paragraph):
        before = paragraph[start:m.start()].split(" ")[-1] if paragraph[start:m.start()] else ""
        word = before.lstrip("\"'(\u201c[")
        if (len(word) == 1 and word.isupper()) or word.lower() in NO_SPLIT_AFTER:
            continue
        out.append(paragraph[start:m.end()].strip())
        start = m.end()
    if paragraph[start:].strip():
        out.append(paragraph[start:].strip())
    return out


def sentences_of(text):
    sents = []
    for par in re.split(r"\n\s*\n", text):
        par = fold(par)
        if par:
            sents.extend(split_sentences(par))
    return sents


def content_words(s):
    return {w for w in re.findall(r"[a-z0-9][a-z0-9'\-]*", norm(s)) if w not in STOP and len(w) > 1}


class Checker:
    def __init__(self, show_overlap=False):
        self.errors, self.warnings, self.ids = [], [], {}
        self.show_overlap = show_overlap

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def warn(self, where, msg):
        self.warnings.append(f"{where}: {msg}")

    def read_jsonl(self, path):
        rows = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    self.err(f"{path}:{n}", f"bad JSON: {e}")
        return rows

    def check_id(self, where, rid, kind, prefix):
        m = re.fullmatch(r"([a-z0-9]+(?:-[a-z0-9]+)*)-([auf])(\d{2,})", rid or "")
        if not m:
            self.err(where, f"malformed id {rid!r}")
            return None
        if m.group(2) != kind:
            self.err(where, f"id {rid} should use -{kind}NN")
        if prefix is not None and m.group(1) != prefix:
            self.err(where, f"id prefix {m.group(1)!r} differs from {prefix!r} used earlier in the file")
        if rid in self.ids:
            self.err(where, f"duplicate id {rid} (also {self.ids[rid]})")
        self.ids[rid] = where
        return m.group(1)

    def check_evidence(self, where, item, text, sents, question):
        ev, ans = item.get("evidence_any"), item.get("answer_any")
        if not (isinstance(ev, list) and ev and all(isinstance(e, str) and e.strip() for e in ev)):
            self.err(where, "evidence_any must be a non-empty list of strings")
            return
        if not (isinstance(ans, list) and ans and all(isinstance(a, str) and a.strip() for a in ans)):
            self.err(where, "answer_any must be a non-empty list of strings")
            return
        folded_text = fold(text)
        containing = []  # sentences containing some evidence string
        for e in ev:
            fe = fold(e)
            if fe not in folded_text:
                self.err(where, f"evidence not verbatim in source: {e!r}")
                continue
            hits = [s for s in sents if fe in s]
            if not hits:
                self.err(where, f"evidence spans a sentence boundary: {e!r}")
                continue
            if len(hits) > 1:
                self.warn(where, f"evidence occurs in {len(hits)} sentences: {e!r}")
            if re.search(r"[.!?][\"'\u201c\u201d\u2019)\]]*\s", fe):
                self.warn(where, f"evidence contains a possible sentence break: {e!r}")
            if len(fe.split()) < 3:
                self.warn(where, f"evidence is very short: {e!r}")
            containing.extend(hits)
        if not containing:
            return
        for a in ans:
            if not any(norm(a) in norm(s) for s in containing):
                self.err(where, f"answer {a!r} not in any evidence sentence")
        if self.show_overlap and question:
            shared = content_words(question) & set().union(*(content_words(s) for s in containing))
            print(f"  {item['id']}: {question}\n      shared: {' '.join(sorted(shared)) or '-'}")

    def check_qa(self, path, text, sents, exact=None, minimum=None):
        prefix, n_a, n_u = None, 0, 0
        for n, item in self.read_jsonl(path):
            where = f"{os.path.relpath(path, ROOT)}:{n}"
            if not isinstance(item, dict):
                self.err(where, "line is not a JSON object")
                continue
            if not isinstance(item.get("q"), str) or not item["q"].strip():
                self.err(where, "missing question text 'q'")
            if item.get("unanswerable") is not None:
                n_u += 1
                if item.get("unanswerable") is not True:
                    self.err(where, "'unanswerable' must be true")
                if set(item) != UNANSWERABLE_KEYS:
                    self.err(where, f"keys {sorted(item)} != {sorted(UNANSWERABLE_KEYS)}")
                prefix = self.check_id(where, item.get("id"), "u", prefix) or prefix
            else:
                n_a += 1
                if set(item) != ANSWERABLE_KEYS:
                    self.err(where, f"keys {sorted(item)} != {sorted(ANSWERABLE_KEYS)}")
                prefix = self.check_id(where, item.get("id"), "a", prefix) or prefix
                self.check_evidence(where, item, text, sents, item.get("q"))
        rel = os.path.relpath(path, ROOT)
        if exact and (n_a, n_u) != exact:
            self.err(rel, f"expected exactly {exact[0]} answerable + {exact[1]} unanswerable, got {n_a} + {n_u}")
        if minimum and (n_a < minimum[0] or n_u < minimum[1]):
            self.err(rel, f"expected at least {minimum[0]} answerable + {minimum[1]} unanswerable, got {n_a} + {n_u}")
        return n_a, n_u

    def check_chat(self, path, text, sents, minimum):
        prefix, count = None, 0
        for n, item in self.read_jsonl(path):
            where = f"{os.path.relpath(path, ROOT)}:{n}"
            if not isinstance(item, dict):
                self.err(where, "line is not a JSON object")
                continue
            count += 1
            unanswerable = item.get("unanswerable") is True
            expected = CHAT_UNANSWERABLE_KEYS if unanswerable else CHAT_KEYS
            if set(item) != expected:
                self.err(where, f"keys {sorted(item)} != {sorted(expected)}")
            turns = item.get("turns")
            if not (isinstance(turns, list) and len(turns) >= 2 and all(isinstance(t, str) and t.strip() for t in turns)):
                self.err(where, "turns must be a list of at least 2 non-empty strings")
                turns = None
            prefix = self.check_id(where, item.get("id"), "f", prefix) or prefix
            if not unanswerable:
                self.check_evidence(where, item, text, sents, " / ".join(turns) if turns else None)
        if count < minimum:
            self.err(os.path.relpath(path, ROOT), f"expected at least {minimum} conversations, got {count}")
        return count


def main():
    show = "--overlap" in sys.argv[1:]
    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    c = Checker(show_overlap=show)
    summary = []
    for doc in manifest["documents"]:
        src = os.path.normpath(os.path.join(HERE, doc["source"]))  # paths are relative to the manifest
        text = load_text(src)
        sents = sentences_of(text)
        if show:
            print(f"== {doc['name']}")
        if doc["kind"] == "news":
            n_a, n_u = c.check_qa(os.path.join(HERE, doc["qa"]), text, sents, minimum=(12, 6))
            n_f = c.check_chat(os.path.join(HERE, doc["chat"]), text, sents, minimum=3)
        else:
            n_a, n_u = c.check_qa(os.path.join(HERE, doc["qa"]), text, sents, exact=(8, 2))
            n_f = 0
        summary.append(f"{doc['name']:32s} answerable {n_a:3d}  unanswerable {n_u:3d}  chats {n_f:2d}")
    print("\n".join(summary))
    for w in c.warnings:
        print("WARNING", w)
    for e in c.errors:
        print("ERROR", e)
    print(f"{len(c.errors)} errors, {len(c.warnings)} warnings, {len(c.ids)} ids")
    sys.exit(1 if c.errors else 0)


if __name__ == "__main__":
    main()
