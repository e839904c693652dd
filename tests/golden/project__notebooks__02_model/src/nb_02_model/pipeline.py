"""The whole notebook as one call: `run(config) -> Results` (02_model.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb_02_model.business import apply_pricing_decision
from nb_02_model.config import Config
from nb_02_model.data import load_data, load_pricing_decision
from nb_02_model.model import evaluate_model


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    df: Any = None
    params: Any = None
    model_rsquared: Any = None
    decision: Any = None
    by_store: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df = load_data(config)
    params, model_rsquared = evaluate_model(df)
    decision = apply_pricing_decision(params, df, config)
    by_store = load_pricing_decision(df, config)
    return Results(
        df=df,
        params=params,
        model_rsquared=model_rsquared,
        decision=decision,
        by_store=by_store,
    )
