"""The query encoder exported to ONNX, once per model, in a cache every index shares.

Queries then run on onnxruntime without importing torch. An export lives in
`<cache>/encoders/<model hash>/`: the hash is of the model's own files, so two indexes of the
same model share one export, and a changed model gets a new one. The export is checked
against sentence-transformers once, when it is made, and stamped only when it is whole; an
index records the hash of the encoder it needs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.embeddings import (
    ENCODER_DIR,
    OnnxEncoder,
    SentenceTransformerEncoder,
    embedding_dimension,
    resolve_model,
)
from bot.index_files import fsync_file, write_durably
from bot.pooling import pooling_mode

log = logging.getLogger(__name__)
ENCODERS = "encoders"
_SKIPPED_DIRS = {"onnx", "openvino"}  # other exports shipped beside the weights


def model_hash(encoder: SentenceTransformerEncoder) -> str:
    """A short sha256 of the model's files (a local directory), else of its weights."""
    digest = hashlib.sha256()
    location = Path(resolve_model(encoder.model_name))
    if location.is_dir():
        for path in sorted(location.rglob("*")):
            relative = path.relative_to(location)
            if path.is_file() and not _SKIPPED_DIRS & set(relative.parts[:-1]):
                digest.update(str(relative).encode() + b"\0")
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
    else:
        for name, tensor in encoder.model.state_dict().items():
            digest.update(name.encode() + tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:24]


def encoder_directory(cache_dir: Path, digest: str) -> Path:
    return cache_dir / ENCODERS / digest


def cached_encoder(cache_dir: Path, digest: str | None) -> Path | None:
    """The export for `digest` when it is whole and was checked, else None. Reads only a
    stamp and file sizes: the check against sentence-transformers was made once, at export."""
    if not digest:
        return None
    target = encoder_directory(cache_dir, digest)
    stamp = _export_stamp(target)
    whole = stamp.get("ok") is True and stamp.get("sizes") == _export_sizes(target)
    return target if whole and (target / "encoder.json").is_file() else None


def cache_query_encoder(encoder: SentenceTransformerEncoder, cache_dir: Path) -> str | None:
    """The hash of the model's ONNX export in the cache, exporting it first if need be; None
    when the model cannot be exported or the cache cannot be written (queries use torch).

    The stamp that says "done" is written only after a whole, checked export. An export cut
    short, by a full disk or a file size limit, is not stamped: the next build tries again.
    """
    digest = model_hash(encoder)
    if cached_encoder(cache_dir, digest):
        return digest
    root = cache_dir / ENCODERS
    try:
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one export per model at a time
            if cached_encoder(cache_dir, digest) or _export_into(encoder, root, digest):
                return digest
    except Exception as error:  # a full disk, a file too large, an exporter crash
        log.warning(
            "ONNX export of %s failed (%s); queries will use torch", encoder.model_name, error
        )
    return None


def ensure_query_encoder(encoder: SentenceTransformerEncoder, directory: Path, model: str) -> bool:
    """The export linked at `directory/query_encoder`, made through a cache rooted at
    `directory` (the training's own cache uses this form); False when there is none."""
    digest = cache_query_encoder(encoder, directory)
    if digest is None:
        return False
    link = directory / ENCODER_DIR
    # a staged name of its own: two trainings started together each rename their own link
    staged = directory / f".{ENCODER_DIR}.{uuid.uuid4().hex}.link"
    staged.unlink(missing_ok=True)
    staged.symlink_to(Path(ENCODERS) / digest)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    staged.replace(link)
    return True


def _export_into(encoder: SentenceTransformerEncoder, root: Path, digest: str) -> bool:
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".export-"))
    try:
        if not export_onnx(encoder, staging):
            return False
        stamp = {"model": encoder.model_name, "sizes": _export_sizes(staging), "ok": True}
        write_durably(staging / "model.json", json.dumps(stamp))
        for path in staging.iterdir():
            fsync_file(path)
        target = root / digest
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        fsync_file(root)
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
