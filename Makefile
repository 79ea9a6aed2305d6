# saro — all set-up lives here: `make demo` and `make test` create or reuse .venv.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.saro-installed
TORCH := torch==2.13.0

.PHONY: demo-seeds demo cpu-full cpu-full-ablations test test-slow lint bench install clean gpu-wheels gpu-smoke

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: any other spec pulls a multi-GB CUDA build.
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]' $(TORCH)
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/saro run --config configs/demo.yaml --out runs/demo

# the demo trained with three seeds, then the across-seed aggregate with paired tests (~1.5 h)
demo-seeds: $(STAMP)
	$(BIN)/saro run --config configs/demo.yaml --out runs/demo-seeds --seeds 0,1,2

# the larger CPU run docs/results.md publishes (just under 3 h; stages resume after a kill)
CPU_FULL ?= runs/cpu-full
cpu-full: $(STAMP)
	$(BIN)/saro run --config configs/cpu-full.yaml --out $(CPU_FULL)

# issue 16's ablations, one seed each, after `make cpu-full` (~3.2 h; docs/results.md):
#  - SRPO on OP-COT only, from the same RW: added to the cpu-full run itself as a seventh arm
#  - RW without the mid-course-correction traces (same size), then SRPO on it
#  - RIT-D by Shortest Rejection Sampling on 4 samples per prompt from cpu-full's RW, against a
#    random accepted sample (no SRS), each trained as RW: reasoning tokens and safety
ABLATE_EVAL := --set 'eval.suites=[jailbreak,rephrase,harmful,overrefusal,recovery]'
cpu-full-ablations: $(STAMP)
	$(BIN)/saro run --config configs/cpu-full.yaml --out $(CPU_FULL) \
	  --set 'arms=[base,safety_sft,sft_dpo,direct_dpo,rw,saro,saro_op]'
	$(BIN)/saro run --config configs/cpu-full.yaml --out $(CPU_FULL)-nocorr \
	  --set rit.corrections=false --set 'arms=[rw,saro]' $(ABLATE_EVAL)
	$(BIN)/saro run --config configs/cpu-full.yaml --out $(CPU_FULL)-srs \
	  --set rit.teacher.model=$(CPU_FULL)/models/rw --set rit.teacher.k=4 --set rit.teacher.max_rounds=1 --set rit.teacher.max_new_tokens=512 \
	  --set 'arms=[rw]' --set 'eval.suites=[jailbreak,harmful,overrefusal]'
	$(BIN)/saro run --config configs/cpu-full.yaml --out $(CPU_FULL)-nosrs \
	  --set rit.teacher.model=$(CPU_FULL)/models/rw --set rit.teacher.k=4 --set rit.teacher.max_rounds=1 --set rit.teacher.max_new_tokens=512 \
	  --set rit.teacher.keep=random \
	  --set 'arms=[rw]' --set 'eval.suites=[jailbreak,harmful,overrefusal]'

test: $(STAMP)
	$(BIN)/pytest

test-slow: $(STAMP)
	@command -v chromium >/dev/null || (apt-get install -y -q chromium >/dev/null 2>&1 || echo "chromium not installed: the report rendering test will skip")
	$(BIN)/pytest -m slow -o addopts=-q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/generate.py

clean:
	rm -rf $(VENV) build *.egg-info

# Wheels the GPU smoke check installs on an image without trl/datasets/gguf (docs/gpu.md)
gpu-wheels: $(STAMP)
	$(BIN)/python scripts/gpu_wheels.py

# The GPU smoke check; on a machine without CUDA it prints SKIP and exits 0
gpu-smoke:
	bash scripts/gpu_smoke.sh
