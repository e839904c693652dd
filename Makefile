# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.nb2prod-installed
DEMO   := sample_notebooks/demo/credit_approval.ipynb
OUT    := demo-output

.PHONY: demo test venv bench clean

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes; editable, so code edits need nothing.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(OUT)
	@$(VENV)/bin/nb2prod check $(DEMO) --exit-zero
	@$(VENV)/bin/nb2prod check $(DEMO) --format json --exit-zero > $(OUT)/check.json
	@echo ""
	@echo "nb2prod: findings for $(DEMO) written to $(OUT)/check.json"

# pytest exits 5 when it collects nothing; make treats any non-zero exit as failure.
test: $(STAMP)
	$(PY) -m pytest tests -q

bench: $(STAMP)
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
