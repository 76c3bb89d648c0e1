"""`articlebot eval` as users run it: a QA file scored against the index, in a real process."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_eval_prints_the_scores(run_cli: Run, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps(
            {
                "id": "a",
                "q": "How many flights?",
                "answer_any": ["20"],
                "evidence_any": ["20 flights"],
            }
        )
        + "\n"
        + json.dumps({"id": "b", "q": "How tall is the Eiffel Tower?", "unanswerable": True})
        + "\n"
    )
    result = run_cli("eval", str(qa))
    assert (
        result.stdout.strip()
        == "answered correctly 1/1, refused 1/1 unanswerable, citation precision 1.00; misses: none"
    )


def test_eval_with_an_llm_reports_faithfulness(
    run_cli: Run, gguf_path: Path, tmp_path: Path
) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps(
            {
                "id": "a",
                "q": "Who heads the Syrian National Coalition?",
                "answer_any": ["Khoja"],
                "evidence_any": ["Khoja, the head"],
            }
        )
        + "\n"
        + json.dumps({"id": "b", "q": "What is the capital of France?", "unanswerable": True})
        + "\n",
        "utf-8",
    )
    result = run_cli("eval", str(qa), "--llm", f"llamacpp:{gguf_path}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("answered correctly 1/1, refused 1/1")
    assert lines[1].startswith("faithfulness: guard on ")
    assert "guard off" in lines[1]


def test_answers_out_goes_with_a_qa_file_not_a_manifest(run_cli: Run, tmp_path: Path) -> None:
    manifest = tmp_path / "documents.json"
    manifest.write_text("[]", "utf-8")
    result = run_cli("eval", str(manifest), "--answers", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("--answers goes with a QA file, not a manifest.")
    assert "Traceback" not in result.stderr


def test_a_qa_file_or_manifest_that_cannot_be_read_is_one_line_and_exit_3(
    run_cli: Run, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", "utf-8")
    for path, shown in (
        (tmp_path / "missing.jsonl", "No such file"),
        (tmp_path, "directory"),
        (binary, "not UTF-8"),
        (empty, "holds no questions"),
        (tmp_path / "missing.json", "Cannot read the manifest"),
    ):
        result = run_cli("eval", str(path))
        assert result.returncode == 3 and shown in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_eval_flags_that_do_not_fit_are_refused(run_cli: Run, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "a1", "q": "Who spoke?", "unanswerable": true}\n', "utf-8")
    result = run_cli("eval", str(qa), "--baseline")
    assert result.returncode == 2 and "--baseline goes with a manifest" in result.stderr
    full = run_cli("eval", str(qa), "--answers", "/dev/full")
    assert full.returncode == 7 and "Cannot write /dev/full" in full.stderr, full.stderr


def test_answers_are_never_written_over_the_questions(run_cli: Run, tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    questions = '{"id": "a1", "q": "Who spoke?", "unanswerable": true}\n'
    qa.write_text(questions, "utf-8")
    (tmp_path / "link.jsonl").symlink_to(qa)
    for answers in (qa, tmp_path / "link.jsonl", tmp_path / "." / "qa.jsonl"):
        result = run_cli("eval", str(qa), "--answers", str(answers))
        assert result.returncode == 2 and "would overwrite the QA file" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert qa.read_text("utf-8") == questions


def test_a_manifest_without_questions_is_refused(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some text.\n", "utf-8")
    for documents in ([], [{"name": "a", "source": "a.txt"}]):
        manifest = tmp_path / "documents.json"
        manifest.write_text(json.dumps({"documents": documents}), "utf-8")
        result = run_cli("eval", str(manifest))
        assert result.returncode == 3 and "holds no questions" in result.stderr, result.stderr
