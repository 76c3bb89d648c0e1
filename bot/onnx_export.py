"""The query encoder exported to ONNX, once per model, beside the index.

Queries then run on onnxruntime without importing torch. The export is checked against
sentence-transformers before it is kept, and stamped only when it is whole.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.embeddings import (
    ENCODER_DIR,
    OnnxEncoder,
    SentenceTransformerEncoder,
    embedding_dimension,
    pooling_mode,
)
from bot.index_files import fsync_file, write_durably

log = logging.getLogger(__name__)


def ensure_query_encoder(encoder: SentenceTransformerEncoder, directory: Path, model: str) -> bool:
    """Export the ONNX query encoder once per model; an intact export is reused across articles.

    The stamp that says "done" is written only after a whole export (or after finding that
    the model cannot be exported at all). An export cut short, by a full disk or a file size
    limit, is not stamped: queries use torch this time, and the next build tries again.
    """
    target = directory / ENCODER_DIR
    stamp = _export_stamp(target)
    if stamp == {"model": model, "sizes": _export_sizes(target), "ok": bool(stamp.get("ok"))}:
        return bool(stamp["ok"]) and (target / "encoder.json").is_file()
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".encoder-"))
    try:
        ok = export_onnx(encoder, staging)
        stamp = {"model": model, "sizes": _export_sizes(staging), "ok": ok}
        write_durably(staging / "model.json", json.dumps(stamp))
        for path in staging.iterdir():
            fsync_file(path)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        fsync_file(directory)
    except Exception as error:  # a full disk, a file too large, an exporter crash
        shutil.rmtree(staging, ignore_errors=True)
        log.warning("ONNX export of %s failed (%s); queries will use torch", model, error)
        return False
    return ok


def _export_stamp(target: Path) -> dict[str, Any]:
    try:
        stamp = json.loads((target / "model.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _export_sizes(target: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(target.glob("*")) if p.name != "model.json"}


def export_onnx(encoder: SentenceTransformerEncoder, directory: Path) -> bool:
    """Export the transformer for the torch-free query path; False when the model can't be.

    The export is checked against sentence-transformers before it is kept. Failures to
    write (a full disk) raise: they say nothing about the model.
    """
    try:
        config = _export(encoder.model, directory)
    except ValueError as error:  # a pooling we do not export: the model itself can't be
        log.warning(
            "ONNX export of %s failed (%s); queries will use torch", encoder.model_name, error
        )
        return False
    probe = ["A probe sentence to compare encoders.", "Short one."]
    reference = encoder.encode(probe)
    exported = OnnxEncoder(directory).encode(probe)
    if reference.shape != exported.shape or float(np.abs(reference - exported).max()) > 1e-4:
        log.warning("ONNX export of %s does not match; queries will use torch", encoder.model_name)
        (directory / "encoder.json").unlink(missing_ok=True)
        return False
    log.info("exported %s to ONNX (%s)", encoder.model_name, config["pooling"])
    return True


def _export(model: Any, directory: Path) -> dict[str, Any]:
    import torch

    transformer, pooling = model[0], pooling_mode(model)
    tokenizer = transformer.tokenizer
    inputs = [
        n
        for n in ("input_ids", "attention_mask", "token_type_ids")
        if n in tokenizer.model_input_names
    ]
    sample = tokenizer(
        ["export sample", "a second, longer export sample"], padding=True, return_tensors="pt"
    )

    class Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(inputs, args, strict=True))).last_hidden_state

    directory.mkdir(parents=True, exist_ok=True)
    _torch_export(
        Hidden(transformer.auto_model).eval(), tuple(sample[n] for n in inputs), inputs, directory
    )
    tokenizer.backend_tokenizer.save(str(directory / "tokenizer.json"))
    config = {
        "pooling": pooling,
        "normalize": any(type(m).__name__ == "Normalize" for m in model),
        "inputs": inputs,
        "dimension": embedding_dimension(model),
        "max_length": int(model.max_seq_length),
        "pad_id": int(tokenizer.pad_token_id or 0),
    }
    (directory / "encoder.json").write_text(json.dumps(config, indent=2), "utf-8")
    return config


def _torch_export(module: Any, sample: tuple[Any, ...], inputs: list[str], directory: Path) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            sample,
            str(directory / "model.onnx"),
            input_names=inputs,
            output_names=["hidden"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*inputs, "hidden"]},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter handles BERT-like models without onnxscript
        )
