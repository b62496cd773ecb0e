# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := var/demo

.PHONY: run test venv test-deps lint bench clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

venv: $(STAMP)

## make run: install, create the demo data folder if absent, serve it.
run: $(STAMP)
	$(BIN)/python -m mssante.demo --data-dir $(DEMO)
	$(BIN)/mssante serve --config $(DEMO)/mssante.toml

## make test: install what the tests need (Python packages, Debian tools), run everything,
## in parallel on every core (pytest-xdist; tests sharing a resource say so with
## @pytest.mark.xdist_group). -ra lists every skip with its reason.
TEST_WORKERS ?= auto
test: $(STAMP) test-deps
	$(BIN)/python -m pytest -q -ra -n $(TEST_WORKERS) --dist loadgroup

test-deps: $(STAMP)
	./scripts/install-test-deps.sh

## make lint: the gate run before the tests: ruff, then mypy (strict, from pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy config crypto mailserver directory relay webmail mssante

bench: $(STAMP)
	$(BIN)/python bench/smtp_load.py
	$(BIN)/python bench/imap_load.py --self-test
	$(BIN)/python bench/directory_bench.py --quick

clean-demo:
	rm -rf $(DEMO)
