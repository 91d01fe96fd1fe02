# The two set-up commands in the README are `make demo` and `make test`; both install what they
# need into .venv first (a fresh machine needs only Python 3.11+).
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast test-cards lint bench load lock clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,report,demo]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/healthloop demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint test-cards
	$(VENV)/bin/python -m pytest -n 2

# The CRM health cards (crm_cards/): each JS project installs from its committed lock file, again
# only when the lock or package.json changed, then runs its offline suite. The view model and its
# tests are files shared by both cards; the copies must stay identical.
HUBSPOT_CARD := crm_cards/hubspot/src/app/cards
SALESFORCE_CARD := crm_cards/salesforce
LWC_CARD := $(SALESFORCE_CARD)/force-app/main/default/lwc/healthloopCard

%/node_modules/.installed: %/package-lock.json %/package.json
	cd $* && npm ci --no-audit --no-fund
	touch $@

test-cards: $(HUBSPOT_CARD)/node_modules/.installed $(SALESFORCE_CARD)/node_modules/.installed
	@for file in healthView.js fieldValues.js __tests__/healthView.test.js __tests__/fieldValues.test.js; do \
		cmp -s $(HUBSPOT_CARD)/$$file $(LWC_CARD)/$$file || { \
			echo "$(HUBSPOT_CARD)/$$file and $(LWC_CARD)/$$file differ: the cards share it, copy one over the other"; \
			exit 1; }; \
	done
	cd $(HUBSPOT_CARD) && npm test
	cd $(SALESFORCE_CARD) && npm test

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest tests/unit -q

bench: $(STAMP)
	$(VENV)/bin/python bench/ingest.py

load: $(STAMP)
	$(VENV)/bin/python bench/load.py

# The production image installs exactly these pins (with hashes); regenerate after changing dependencies.
# uv resolves for Linux / CPython 3.11, whatever machine runs it.
LOCK_FLAGS := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes --quiet
lock: $(STAMP)
	$(VENV)/bin/pip install --quiet 'uv>=0.4'
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra report $(LOCK_FLAGS) -o requirements-report.lock

clean:
	rm -rf $(VENV) healthloop-demo.db* .pytest_cache .ruff_cache $(HUBSPOT_CARD)/node_modules $(SALESFORCE_CARD)/node_modules
