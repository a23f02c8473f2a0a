# Two commands matter: `make demo` (the integration's lifecycle against an embedded SCIM server)
# and `make test` (every test). Both set up .venv from requirements-dev.txt on first use, on Python 3.12
# (the docker image's); where no python3.12 exists they fall back to python3.11 and say so.
PY ?= $(shell sh .ci/find_python.sh)
SDK_PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements-dev.txt | cut -d' ' -f1)-$(shell $(PY) -c 'import sys; print("py%d%d" % sys.version_info[:2])')
HARNESS_VENV := .venv-harness
HARNESS_STAMP := $(HARNESS_VENV)/.installed-$(shell cksum .ci/requirements-harness.txt | cut -d' ' -f1)

SDK_VENV := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed-$(shell cksum .ci/requirements-sdk.txt | cut -d' ' -f1)

UNIFIED := build/unified/AWSILM.yml   # the script the platform runs, as demisto-sdk unifies it (the loop tests)

.PHONY: unified demo test bench bench-load bench-bulk bench-faults callpath xsoar-gate docs pack lint clean

$(STAMP): requirements-dev.txt
	@$(PY) -c 'import sys; sys.version_info[:2] == (3, 12) or print("note: no Python 3.12 here; using", sys.version.split()[0], "(CI uses 3.12)")'
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/warroom.py demo

test: $(STAMP) $(UNIFIED)
	$(BIN)/python -m pytest -m properties -n 2 -p no:cov
	$(BIN)/python -m pytest -m "not properties" -n 2 --cov --cov-report=term --cov-fail-under=90

bench: $(STAMP)
	$(BIN)/python tools/bench.py --latency 0.05

bench-load: $(STAMP)
	$(BIN)/python tools/bench_load.py --commands 40 --rates 10 3

bench-bulk: $(STAMP)
	$(BIN)/python tools/bench_bulk.py --users 100 600 1000 --latency 0.15 --rates 0 10 --contain 600 --groups 3
	$(BIN)/python tools/bench_polling.py --users 2000 --groups 3 --limit 40 --latency 0.05   # a 40 s execution limit

callpath: $(STAMP)
	$(BIN)/python tools/callpath.py

bench-faults: $(STAMP)
	$(BIN)/python tools/bench.py --faults

$(SDK_STAMP): .ci/requirements-sdk.txt
	rm -rf $(SDK_VENV)
	$(SDK_PY) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q --disable-pip-version-check -r .ci/requirements-sdk.txt
	touch $(SDK_STAMP)

$(HARNESS_STAMP): .ci/requirements-harness.txt
	rm -rf $(HARNESS_VENV)
	$(PY) -m venv $(HARNESS_VENV)
	$(HARNESS_VENV)/bin/pip install -q --disable-pip-version-check -r .ci/requirements-harness.txt
	touch $(HARNESS_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy AWS_ILM.py

$(UNIFIED): AWS_ILM.py AWS_ILM.yml AWS_ILM_description.md pack/pack_metadata.json .ci/lay_out.py $(STAMP) $(SDK_STAMP)
	bash .ci/sdk_gate.sh unify

unified: $(UNIFIED)

xsoar-gate: $(STAMP) $(SDK_STAMP) $(HARNESS_STAMP)
	bash .ci/sdk_gate.sh gate

docs: $(STAMP) $(SDK_STAMP)
	bash .ci/sdk_gate.sh docs

pack: $(STAMP) $(SDK_STAMP)
	bash .ci/sdk_gate.sh pack

clean:
	rm -rf $(VENV) $(SDK_VENV) .coverage .hypothesis build
