# The two commands of the README:
#   make run    set up and run every process of portal/Procfile (web, worker,
#               beat) on SQLite and the filesystem broker, with demo accounts
#   make test   set up and run the whole test suite against PostgreSQL, Redis
#               and an S3 stand-in on 127.0.0.1
# Every step below is idempotent, so both commands work on a fresh Debian
# machine with only Python, and are quick the second time. Others:
#   make lint         ruff and mypy (CI runs it before the tests)
#   make lock         regenerate the hashed requirements*.txt from .ci/requirements/*.in
#   make screenshots  refresh the README's screenshots in docs/screenshots/
#   make bench        the benchmarks under bench/

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# What to run: the whole suite unless told, e.g. PYTEST_ARGS="tests/accounts -k lift".
PYTEST_ARGS ?= tests
PIP_INSTALL := $(PY) -m pip install --quiet --require-hashes
LOCK_HINT := echo "pip refused the lock file: after adding a package by hand, run 'make lock'" >&2

.PHONY: run test setup setup-test messages services browser node-tools lint lock screenshots bench makemessages

run: setup messages
	$(PY) manage.py runportal

test: setup-test messages services browser node-tools
	$(PY) -m pytest -c tests/pytest.ini --rootdir=. $(PYTEST_ARGS)

setup: $(VENV)/.runtime-installed
setup-test: $(VENV)/.dev-installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements.txt || { $(LOCK_HINT); exit 1; }
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements-dev.txt || { $(LOCK_HINT); exit 1; }
	touch $(VENV)/.runtime-installed $@

# Compiled translations are build output (not committed): make them here.
messages: setup
	@command -v msgfmt >/dev/null || .ci/install-system-packages gettext
	$(PY) manage.py compilemessages --ignore=.venv -v0

# Maintainers: refresh the .po catalog after changing translatable text.
makemessages: setup
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete

# PostgreSQL and Redis: installed from Debian's packages if absent, started if down.
services:
	.ci/ensure-services

# Chromium for the journeys; the CJK and DejaVu fonts also draw the tests' generated ID cards.
browser:
	@test -x /usr/bin/chromium -a -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	  -a -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
	  || .ci/install-system-packages chromium fonts-noto-cjk fonts-dejavu-core

# Node packages of the tests (axe-core, which tests/browser/axe.py injects into
# pages), installed from the lock file .ci/node/package-lock.json; nothing is
# downloaded while the tests run.
AXE := .ci/node/node_modules/axe-core/axe.min.js
node-tools: $(AXE)

$(AXE): .ci/node/package.json .ci/node/package-lock.json
	@command -v npm >/dev/null || .ci/install-system-packages nodejs npm
	npm ci --prefix .ci/node --no-audit --no-fund --loglevel=error
	touch $@

lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --config-file .ci/mypy.ini

# Edit .ci/requirements/runtime.in or dev.in (or add a pin to a lock file by
# hand: it is adopted into the .in file), then run this and commit all four.
lock: setup-test
	$(PY) .ci/lock

# The tests write screenshots to a temporary folder; this writes the README's:
# every browser journey's, into docs/screenshots/.
screenshots: setup-test messages services browser node-tools
	rm -f docs/screenshots/keyboard-*.png
	PORTAL_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -c tests/pytest.ini \
		--rootdir=. tests/browser

bench: setup-test services
	@command -v wrk >/dev/null || .ci/install-system-packages wrk
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done
