# Every target works from a fresh clone: `install` builds .venv and the generated protos,
# and reruns only what changed (a stamp file tracks the dependency install).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTOS := $(wildcard protos/*.proto)
GENERATED := $(PROTOS:.proto=_pb2.py)

.PHONY: install protos options lint test demo bench clean

install: $(STAMP) protos

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

protos: $(GENERATED)

protos/%_pb2.py: protos/%.proto $(STAMP)
	$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. $<

# GrpcClientOptions, the TypedDict mypy checks client options against, is generated from
# GrpcClientSettings' fields: run this after a field is added, removed or retyped (a merge).
options: install
	$(BIN)/python -m tests.Typing.generate_client_options

lint: install
	$(BIN)/ruff check grpc_request_client app tests
	$(BIN)/ruff format --check grpc_request_client app tests
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# grpc-core logs connection shutdowns at INFO on stderr; the demo is for people, so keep errors only.
demo: install
	GRPC_VERBOSITY=ERROR $(BIN)/python -m app.Demo

bench: install
	$(BIN)/python -m tests.Benchmarks.run_bench

clean:
	rm -rf $(VENV) protos/*_pb2.py protos/*_pb2.pyi protos/*_pb2_grpc.py .mypy_cache .pytest_cache .ruff_cache *.egg-info
