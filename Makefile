# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.nb2prod-installed
DEMO   := sample_notebooks/demo/credit_approval.ipynb
OUT    := demo-output
# A notebook in a project layout: ../data, a ../src helper on sys.path, automagic pip, a formula.
PROJECT_NB := sample_notebooks/project/notebooks/02_model.ipynb

.PHONY: demo test lint venv bench clean lab chromium docs-screenshot

# The JupyterLab extension (jupyterlab/): Node packages from the committed lockfile, a prebuilt
# labextension, then the Python package with its server extension installed into the venv.
LAB        := jupyterlab
LAB_TOOLS  := $(VENV)/.nb2prod-lab-tools
LAB_NODE   := $(LAB)/node_modules/.nb2prod-installed
LAB_BUILT  := $(LAB)/nb2prod_lab/labextension/package.json
LAB_STAMP  := $(VENV)/.nb2prod-lab-installed
CHROMIUM   := /usr/bin/chromium
AIRFLOW_VENV  := .airflow-venv
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.airflow-3.3.2-installed
# make test runs the browser tests for real: a missing chromium or extension fails instead of skipping.
NB2PROD_REQUIRE_BROWSER ?= 1

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
	@cd $(OUT) && MPLBACKEND=Agg PYTHONPATH=credit_approval/src ../$(VENV)/bin/python -m credit_approval > run.txt
	@cut -c1-100 $(OUT)/run.txt
	@echo ""
	@echo ""
	@echo "== nb2prod convert $(PROJECT_NB) (a project: ../data, ../src on sys.path, pip, a formula)"
	@$(VENV)/bin/nb2prod convert $(PROJECT_NB) --name sales_model --out $(OUT)/sales_model
	@$(PY) -c "import json, sys; report = json.load(open(sys.argv[1])); \
	  print('verdict:', report.get('verification', {}).get('verdict', 'not verified'))" \
	  $(OUT)/sales_model/nb2prod-report.json
	@echo ""
	@echo "== python -m sales_model, from the root of a copy of the project (paths follow --base-dir)"
	@rm -rf $(OUT)/project && cp -r sample_notebooks/project $(OUT)/project
	@cd $(OUT)/project && MPLBACKEND=Agg PYTHONPATH=../sales_model/src \
	  ../../$(PY) -m sales_model > ../sales_model-run.txt
	@cut -c1-100 $(OUT)/sales_model-run.txt
	@echo ""
	@echo "nb2prod: results in $(OUT)/: check.json (findings), credit_approval/ (the package),"
	@echo "         credit_approval/nb2prod-report.md (where every statement went and why),"
	@echo "         credit_approval/nb2prod-run.html (the notebook's fresh run, disagreeing cells marked),"
	@echo "         sales_model/ (the sample project's model notebook as a package, with its report)"

# Every checker, each failing make: ruff (rules and format), mypy --strict, import-linter's layer
# contracts, and tsc + eslint over the JupyterLab frontend (config in pyproject.toml, jupyterlab/).
lint: $(STAMP) $(LAB_NODE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=$(LAB) $(VENV)/bin/lint-imports
	cd $(LAB) && ../$(VENV)/bin/jlpm lint

# Three pytest runs (pytest-jupyter's fixtures and a browser clash in one process) and the
# extension's TypeScript unit tests (vitest); every one runs, and any non-zero exit (5 =
# nothing collected included) fails make at the end.
test: lint $(STAMP) $(LAB_STAMP) chromium $(AIRFLOW_STAMP)
	@rc=0; \
	$(PY) -m pytest tests -q || rc=1; \
	$(PY) -m pytest $(LAB)/tests -q || rc=1; \
	(cd $(LAB) && ../$(VENV)/bin/jlpm test) || rc=1; \
	NB2PROD_REQUIRE_BROWSER=$(NB2PROD_REQUIRE_BROWSER) $(PY) -m pytest $(LAB)/ui-tests -q -s || rc=1; \
	exit $$rc

lab: $(LAB_STAMP)

# Apache Airflow in a venv of its own (its pins never constrain nb2prod's), for the test that
# runs an exported training DAG with `airflow dags test`; .venv first, whose versions it copies.
$(AIRFLOW_STAMP): scripts/airflow_venv.sh | $(STAMP)
	PYTHON=$(PYTHON) bash scripts/airflow_venv.sh $(AIRFLOW_VENV)

# jlpm (yarn 3) comes with jupyterlab; jupyter-builder drives @jupyter/builder (rspack).
$(LAB_TOOLS): $(STAMP)
	$(PY) -m pip install --quiet 'jupyterlab>=4.6,<5' 'jupyter-builder==1.3.0' 'playwright>=1.40'
	touch $@

$(LAB_NODE): $(LAB)/package.json $(LAB)/yarn.lock $(LAB)/.yarnrc.yml | $(LAB_TOOLS)
	cd $(LAB) && ../$(VENV)/bin/jlpm install --immutable
	touch $@

$(LAB_BUILT): $(LAB_NODE) $(LAB)/tsconfig.json $(wildcard $(LAB)/src/*) $(wildcard $(LAB)/style/*)
	cd $(LAB) && PATH="$(abspath $(VENV))/bin:$$PATH" ../$(VENV)/bin/jlpm build
	touch $@

# Not editable: the wheel puts the labextension and the server-extension config into the venv.
$(LAB_STAMP): $(LAB_BUILT) $(LAB)/pyproject.toml $(wildcard $(LAB)/nb2prod_lab/*.py) | $(LAB_TOOLS)
	$(PY) -m pip install --quiet --force-reinstall --no-deps ./$(LAB)
	$(PY) -m pip install --quiet './$(LAB)[test]'
	$(VENV)/bin/jupyter labextension list 2>&1 | grep -q 'nb2prod-lab.*enabled'
	$(VENV)/bin/jupyter server extension list 2>&1 | grep -q 'nb2prod_lab.*enabled'
	touch $@

# Re-take docs/images/jupyterlab-panel.png: the browser test writes it only when asked.
docs-screenshot: $(LAB_STAMP) chromium
	NB2PROD_UPDATE_DOCS_SCREENSHOT=1 $(PY) -m pytest $(LAB)/ui-tests -q

# Debian's chromium for the browser tests; installed only when root (CI), quietly.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "$(CHROMIUM) missing and not root: install chromium, or run make test NB2PROD_REQUIRE_BROWSER=0"; \
	  fi; \
	fi

bench: $(STAMP)
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) $(OUT) build *.egg-info test-artifacts
	rm -rf $(LAB)/node_modules $(LAB)/lib $(LAB)/nb2prod_lab/labextension $(LAB)/tsconfig.tsbuildinfo
