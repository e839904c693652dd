"""Export a generated package's training to an orchestrator a team already runs (Airflow).

Reads the package `nb2prod convert` wrote and writes the orchestrator's pipeline file beside
it; the pipeline calls the package's own `train`, so it trains what `python -m pkg train` does.
"""
