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

# The main job on the shipped demo: report hidden state, convert to a package, run it.
demo: $(STAMP)
	@rm -rf $(OUT) && mkdir -p $(OUT)
	@cp $(DEMO) $(OUT)/
	@echo "== nb2prod check $(DEMO)"
	@$(VENV)/bin/nb2prod check $(OUT)/credit_approval.ipynb --exit-zero
	@$(VENV)/bin/nb2prod check $(OUT)/credit_approval.ipynb --format json --exit-zero > $(OUT)/check.json
	@echo ""
	@echo "== nb2prod convert $(DEMO)"
	@$(VENV)/bin/nb2prod convert $(OUT)/credit_approval.ipynb --out $(OUT)/credit_approval
	@echo ""
	@echo "== python -m credit_approval (the generated package)"
	@cd $(OUT) && MPLBACKEND=Agg PYTHONPATH=credit_approval/src ../$(VENV)/bin/python -m credit_approval | cut -c1-100
	@echo ""
	@echo "nb2prod: results in $(OUT)/: check.json (findings), credit_approval/ (the package),"
	@echo "         credit_approval/nb2prod-report.md (where every statement went and why)"

# pytest exits 5 when it collects nothing; make treats any non-zero exit as failure.
test: $(STAMP)
	$(PY) -m pytest tests -q

bench: $(STAMP)
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
