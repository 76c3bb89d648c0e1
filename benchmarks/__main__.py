"""`make bench`: articlebot against the textbook LangChain pipeline, measured in one run.

Prints a Markdown table. Nothing here is a test: numbers vary with the machine, so every row
compares the two pipelines measured side by side.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

QUESTIONS = [
    "Who is Ashton Carter?",
    "How many flights did the Russian jets conduct?",
    "Who heads the Syrian National Coalition?",
    "What did Kerry tell the Security Council?",
    "Where did Khoja post his statement?",
    "What did Lavrov say about communication channels?",
    "How old is Ashton Carter?",
    "What is the GDP of Russia?",
]
COLD_QUESTION = "Who heads the Syrian National Coalition?"
TEXTBOOK = Path(__file__).resolve().parent / "textbook.py"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(
            f"{command} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024


def cold(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    results = [run_measured(command, env) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def warm_latencies(answer: object, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            start = time.perf_counter()
            answer(question)  # type: ignore[operator]
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def synthetic_paragraphs(count: int, seed: int = 7) -> list[str]:
    """News-like paragraphs of two or three sentences, reproducible."""
    rng = random.Random(seed)
    subjects = ["The minister", "Officials", "The council", "Residents", "The company", "Analysts"]
    verbs = ["said", "warned", "announced", "reported", "denied", "confirmed"]
    objects = [
        "new talks on the budget",
        "a rise in prices",
        "plans for a bridge",
        "delays at the port",
    ]
    places = ["in the capital", "near the border", "on Tuesday", "after the vote", "in the north"]

    def sentence() -> str:
        return f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(places)}, {rng.randint(2, 90)} sources said."

    return [" ".join(sentence() for _ in range(rng.randint(2, 3))) for _ in range(count)]


def build_throughput(paragraphs: list[str], workdir: Path, repeats: int = 1) -> tuple[float, float]:
    """Paragraphs per second, best of `repeats`: our full index build and a raw encode."""
    from bot.embeddings import SentenceTransformerEncoder
    from bot.index import build_index

    article = workdir / f"synthetic-{len(paragraphs)}.txt"
    article.write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    encoder.model.encode(paragraphs[:64])  # warm both paths alike
    settings = Settings(index_dir=workdir / f"idx-{len(paragraphs)}", article=article)
    build_index(settings, encoder=encoder)  # first build exports the query encoder once
    ours = raw = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        build_index(settings, encoder=encoder, reuse=False)  # time a full embed
        ours = max(ours, len(paragraphs) / (time.perf_counter() - start))
        start = time.perf_counter()
        encoder.model.encode(paragraphs, batch_size=32, normalize_embeddings=True)
        raw = max(raw, len(paragraphs) / (time.perf_counter() - start))
    return ours, raw


Row = tuple[str, str, str, str]


def quality_rows(answerer: Any, textbook: Any) -> list[Row]:
    """The visible QA set scored for both pipelines (score.py's rules)."""
    from bot.evaluate import evaluate, load_items, score

    path = PROJECT_ROOT.parent / "shared" / "eval" / "visible_qa.jsonl"
    if not path.is_file():
        return []
    items = load_items(path)
    ours, _ = evaluate(answerer, items)
    theirs = score(items, [textbook.answer(i["q"]) for i in items])

    def cell(s: Any) -> str:
        return f"{s.correct}/{s.answerable} · {s.refused}/{s.unanswerable} · {s.precision:.2f}"

    return [
        (
            "visible QA: correct · refused · precision",
            cell(ours),
            cell(theirs),
            "≥19/20 · ≥7/8 · ≥0.80",
        )
    ]


def cold_rows(env: dict[str, str], runs: int) -> list[Row]:
    our_wall, our_rss = cold([sys.executable, "-m", "bot", "ask", COLD_QUESTION], env, runs)
    their_wall, their_rss = cold([sys.executable, str(TEXTBOOK), COLD_QUESTION], env, runs)
    return [
        (
            "cold `ask` wall (s)",
            f"{our_wall:.2f}",
            f"{their_wall:.2f}",
            f"≤ 0.25× ({our_wall / their_wall:.2f}×)",
        ),
        ("cold `ask` peak RSS (MiB)", f"{our_rss:.0f}", f"{their_rss:.0f}", ""),
    ]


def telegram_rows(index_dir: Path, chats: int, per_chat: int) -> list[Row]:
    from benchmarks.telegram_load import telegram_load

    paced, _, paced_rss = telegram_load(index_dir, chats, per_chat, think=1.0)
    flood, flood_wall, flood_rss = telegram_load(index_dir, chats, per_chat, think=0.0)
    return [
        (
            f"Telegram, {chats} chats × {per_chat}, ~1 s pauses: reply p50 / p95 (ms)",
            f"{percentile(paced, 0.5):.0f} / {percentile(paced, 0.95):.0f}",
            "",
            "p95 ≤ 150",
        ),
        (
            "Telegram, same chats with no pauses: replies/s, reply p95 (ms)",
            f"{len(flood) / flood_wall:.0f}, {percentile(flood, 0.95):.0f}",
            "",
            "",
        ),
        ("Telegram bot peak RSS (MiB)", f"{max(paced_rss, flood_rss):.0f}", "", "≤ 450"),
    ]


def warm_rows(answerer: Any, textbook: Any, rounds: int) -> list[Row]:
    ours = warm_latencies(answerer.answer, rounds)
    theirs = warm_latencies(textbook.answer, rounds)
    return [
        (
            "warm answer p50 (ms)",
            f"{percentile(ours, 0.5):.1f}",
            f"{percentile(theirs, 0.5):.1f}",
            "≤ 15",
        ),
        (
            "warm answer p95 (ms)",
            f"{percentile(ours, 0.95):.1f}",
            f"{percentile(theirs, 0.95):.1f}",
            "",
        ),
    ]


def build_rows(answerer: Any, synthetic: int, workdir: Path) -> list[Row]:
    rows = []
    article_paragraphs = [p.text for p in answerer.index.document.paragraphs]
    cases = (
        ("article", article_paragraphs, 5),
        (f"synthetic {synthetic:,}", synthetic_paragraphs(synthetic), 1),
    )
    for label, paragraphs, repeats in cases:
        built, raw = build_throughput(paragraphs, workdir, repeats)
        rows.append(
            (
                f"index build, {label} (paragraphs/s)",
                f"{built:.0f}",
                f"raw encode {raw:.0f}",
                f"≥ 90% ({built / raw:.0%})",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--synthetic", type=int, default=10_000, help="paragraphs in the synthetic document"
    )
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument(
        "--archive", type=int, default=0, help="measure an archive of this many paragraphs only"
    )
    args = parser.parse_args()
    if args.archive:
        from benchmarks.archive import archive_table

        print(archive_table(args.archive))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = Settings(index_dir=workdir / "index")
        env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1"}
        subprocess.run(
            [sys.executable, "-m", "bot", "index"], env=env, cwd=PROJECT_ROOT, check=True
        )
        # Child processes first, while this one has loaded nothing heavy: a forked child
        # inherits its parent's peak RSS, which would hide the child's own.
        rows = cold_rows(env, args.cold_runs) + telegram_rows(
            settings.index_dir, args.chats, args.per_chat
        )
        from benchmarks.textbook import Textbook
        from bot.core import Answerer
        from bot.index import open_index

        answerer = Answerer(open_index(settings), settings)
        textbook = Textbook(settings.article)
        rows = warm_rows(answerer, textbook, args.rounds) + rows + quality_rows(answerer, textbook)
        rows += build_rows(answerer, args.synthetic, workdir)
    print("| measure | articlebot | textbook LangChain | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
