# Two commands set up everything on a fresh machine:
#   make run        virtual environment, install, migrate, demo county (if empty), portal + task worker
#                   on http://127.0.0.1:8000 (PORT=8080 make run for another port; Ctrl-C stops both)
#   make test       virtual environment if needed, then the whole test suite (about 10 minutes)
#   make test-fast  the same without browser, real workers and the demo county (under 2 minutes)
# With no settings the portal runs on embedded defaults (SQLite, a broker that needs no server);
# with DATABASE_URL / REDIS_URL it uses PostgreSQL and Redis.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast bench lint venv worker clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || { echo "Creating the virtual environment in $(VENV)/"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the Python packages of requirements-dev.txt (about a minute the first time) …"
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@echo "Packages installed."
	@touch $@

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	@echo ""
	@echo "  汶上县乡村振兴“三链融合”服务平台: http://$(HOST):$(PORT)/  (管理后台 /admin/; Ctrl-C 停止)"
	@echo "  Demo users, password demo12345: admin (county administrator), leader (county official),"
	@echo "  finance (finance department editor), t<township code> (township staff, e.g. t370830104 寅寺镇)."
	@echo ""
	@$(PY) manage.py serve $(HOST):$(PORT)

test: venv
	$(PY) -m pytest

# No browser, no real worker or server process, no demo-county build, on both cores: for the
# edit-test loop (CI runs `make test`).
test-fast: venv
	$(PY) -m pytest -n 2 -m "not slow and not worker" --ignore=tests/e2e

# The last step, issue 14's page budgets at two sizes (the demo county and the demo city, cold, on
# PostgreSQL) and the province projection, is opt-in: BENCH_CITY_DATABASE_URL names the city's
# database (built there once, 5-10 min, then reused).
bench: venv
	$(PY) manage.py bench
	$(PY) manage.py bench_api
	$(PY) manage.py bench_writes
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py bench_reports
	@if [ -n "$$BENCH_CITY_DATABASE_URL" ]; then $(PY) manage.py bench_scale --province; \
	else echo "bench_scale skipped: BENCH_CITY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wenshang_city make bench adds the 1x/10x page budgets"; fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy  # the files of [tool.mypy] in pyproject.toml: */selectors.py, */services.py
	$(BIN)/lint-imports  # the layers and no cycles (.importlinter)

worker: venv
	$(BIN)/celery -A wenshang worker --loglevel=info

clean:
	rm -rf $(VENV) var staticfiles
