# Two commands for a newcomer: `make demo` and `make test`. Both create the virtual environment first.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
DEMO_OUT ?= runs/cgan_digits

.PHONY: install demo test test-quick lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# the CPU build of torch first: any other torch request would pull several GB of CUDA wheels
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev,onnx]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/layergraph data digits data/digits
	$(BIN)/layergraph train examples/cgan_digits.yaml
	$(BIN)/layergraph generate $(DEMO_OUT)/checkpoint.safetensors -n 10 --seed 1 --out $(DEMO_OUT)/samples.png
	$(BIN)/layergraph evaluate $(DEMO_OUT)/checkpoint.safetensors --data data/digits
	@echo "Per-class samples (one row per digit): $(DEMO_OUT)/samples.png"

test: install
	$(BIN)/pytest -n auto   # one worker per core: the suite takes about half the time on 2 cores

test-quick: install
	$(BIN)/pytest -n auto -m "not slow"   # without the end-to-end files (SLOW_FILES in tests/conftest.py)

lint: install
	$(BIN)/ruff check .

bench: install
	$(PY) benchmarks/compile_overhead.py --quick
	# compile and forced bf16 are left out: compiling, and bf16 emulated on CPUs without it, take many minutes
	$(PY) benchmarks/train_speed.py --quick --variants reference,default,channels_last,auto
	$(PY) benchmarks/attention_speed.py --quick
	$(PY) benchmarks/data_pipeline.py
	$(PY) benchmarks/digits_quality.py
	$(PY) benchmarks/lstm_speed.py --quick

clean:
	rm -rf runs data/digits .pytest_cache
