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


def build_throughput(paragraphs: list[str], workdir: Path) -> tuple[float, float]:
    """Paragraphs per second: our full index build and a raw SentenceTransformer.encode."""
    from bot.embeddings import SentenceTransformerEncoder
    from bot.index import build_index

    article = workdir / f"synthetic-{len(paragraphs)}.txt"
    article.write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    encoder.model.encode(paragraphs[:64])  # warm both paths alike
    settings = Settings(index_dir=workdir / f"idx-{len(paragraphs)}", article=article)
    build_index(settings, encoder=encoder)  # first build exports the query encoder once
    start = time.perf_counter()
    build_index(settings, encoder=encoder)
    ours = len(paragraphs) / (time.perf_counter() - start)
    start = time.perf_counter()
    encoder.model.encode(paragraphs, batch_size=32, normalize_embeddings=True)
    raw = len(paragraphs) / (time.perf_counter() - start)
    return ours, raw


def quality_rows(answerer: object, textbook: object) -> list[tuple[str, str, str, str]]:
    """The visible QA set scored for both pipelines (score.py's rules)."""
    from bot.evaluate import evaluate, load_items, score

    path = PROJECT_ROOT.parent / "shared" / "eval" / "visible_qa.jsonl"
    if not path.is_file():
        return []
    items = load_items(path)
    ours, _ = evaluate(answerer, items)  # type: ignore[arg-type]
    theirs = score(items, [textbook.answer(i["q"]) for i in items])  # type: ignore[attr-defined]

    def cell(s: object) -> str:
        return f"{s.correct}/{s.answerable} · {s.refused}/{s.unanswerable} · {s.precision:.2f}"  # type: ignore[attr-defined]

    return [
        (
            "visible QA: correct · refused · precision",
            cell(ours),
            cell(theirs),
            "≥19/20 · ≥7/8 · ≥0.80",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--synthetic", type=int, default=10_000, help="paragraphs in the synthetic document"
    )
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    from benchmarks.textbook import Textbook
    from bot.core import Answerer
    from bot.index import open_index

    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = Settings(index_dir=workdir / "index")
        env = {**os.environ, "ARTICLEBOT_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1"}
        # Cold runs first, in a parent that has loaded nothing heavy: a forked child inherits
        # its parent's peak RSS, which would hide the child's own.
        subprocess.run(
            [sys.executable, "-m", "bot", "index"], env=env, cwd=PROJECT_ROOT, check=True
        )
        our_wall, our_rss = cold(
            [sys.executable, "-m", "bot", "ask", COLD_QUESTION], env, args.cold_runs
        )
        their_wall, their_rss = cold(
            [sys.executable, str(TEXTBOOK), COLD_QUESTION], env, args.cold_runs
        )
        answerer = Answerer(open_index(settings), settings)
        ours = warm_latencies(answerer.answer, args.rounds)
        textbook = Textbook(settings.article)
        theirs = warm_latencies(textbook.answer, args.rounds)
        rows.append(
            (
                "warm answer p50 (ms)",
                f"{percentile(ours, 0.5):.1f}",
                f"{percentile(theirs, 0.5):.1f}",
                "≤ 20",
            )
        )
        rows.append(
            (
                "warm answer p95 (ms)",
                f"{percentile(ours, 0.95):.1f}",
                f"{percentile(theirs, 0.95):.1f}",
                "",
            )
        )
        rows.append(
            (
                "cold `ask` wall (s)",
                f"{our_wall:.2f}",
                f"{their_wall:.2f}",
                f"≤ 0.3× ({our_wall / their_wall:.2f}×)",
            )
        )
        rows.append(("cold `ask` peak RSS (MiB)", f"{our_rss:.0f}", f"{their_rss:.0f}", ""))
        rows += quality_rows(answerer, textbook)
        article_paragraphs = [p.text for p in answerer.index.document.paragraphs]
        for label, paragraphs in (
            ("article", article_paragraphs),
            (f"synthetic {args.synthetic:,}", synthetic_paragraphs(args.synthetic)),
        ):
            built, raw = build_throughput(paragraphs, workdir)
            rows.append(
                (
                    f"index build, {label} (paragraphs/s)",
                    f"{built:.0f}",
                    f"raw encode {raw:.0f}",
                    f"≥ 90% ({built / raw:.0%})",
                )
            )
    print("| measure | articlebot | textbook LangChain | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
