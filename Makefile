# The two commands of the README:
#   make run    set up and run web + Celery worker + beat on SQLite and the
#               filesystem broker, with demo accounts
#   make test   set up and run the whole test suite against PostgreSQL and
#               Redis on 127.0.0.1
# Every step below is idempotent, so both commands work on a fresh machine
# with only Python, and are quick the second time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# What to run: the whole suite unless told, e.g. PYTEST_ARGS="tests/accounts -k lift".
PYTEST_ARGS ?= tests

.PHONY: run test setup setup-test messages services browser lint bench makemessages

run: setup messages
	$(PY) manage.py runportal

test: setup-test messages services browser
	$(PY) -m pytest -c tests/pytest.ini --rootdir=. $(PYTEST_ARGS)

setup: $(VENV)/.runtime-installed
setup-test: $(VENV)/.dev-installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# Compiled translations are build output (not committed): make them here.
messages: setup
	@command -v msgfmt >/dev/null || .ci/install-system-packages gettext
	$(PY) manage.py compilemessages --ignore=.venv -v0

# Maintainers: refresh the .po catalog after changing translatable text.
makemessages: setup
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete

services:
	.ci/ensure-services

# Chromium for the journeys; the CJK and DejaVu fonts also draw the tests' generated ID cards.
browser:
	@test -x /usr/bin/chromium -a -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	  -a -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
	  || .ci/install-system-packages chromium fonts-noto-cjk fonts-dejavu-core

lint: setup-test
	$(VENV)/bin/ruff check .

bench: setup-test services
	@command -v wrk >/dev/null || .ci/install-system-packages wrk
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done
