# Two commands set up everything on a fresh machine:
#   make run    virtual environment, install, migrate, demo county (if empty), portal + task worker
#   make test   virtual environment if needed, then the whole test suite
# With no settings the portal runs on embedded defaults (SQLite, a broker that needs no server);
# with DATABASE_URL / REDIS_URL it uses PostgreSQL and Redis.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench lint venv worker clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	@echo ""
	@echo "  汶上县乡村振兴“三链融合”服务平台: http://$(HOST):$(PORT)/  (管理后台 /admin/)"
	@echo "  Demo users, password demo12345: admin (county administrator), leader (county official),"
	@echo "  finance (finance department editor), t<township code> (township staff, e.g. t370830104 寅寺镇)."
	@echo ""
	@$(BIN)/celery -A wenshang worker --beat --loglevel=warning --concurrency=1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) manage.py bench
	$(PY) manage.py bench_api
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py bench_reports

lint: venv
	$(BIN)/ruff check .

worker: venv
	$(BIN)/celery -A wenshang worker --loglevel=info

clean:
	rm -rf $(VENV) var staticfiles
