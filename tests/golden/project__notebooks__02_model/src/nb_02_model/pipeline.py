"""The whole notebook as one call: `run(config) -> Results` (02_model.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb_02_model.business import apply_pricing_decision
from nb_02_model.config import Config
from nb_02_model.data import load_data, load_pricing_decision
from nb_02_model.features import (
    build_data,
    build_pricing_decision,
    build_pricing_decision_2,
)
from nb_02_model.model import evaluate_model


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    df: Any = None
    params: Any = None
    elasticity: Any = None
    decision: Any = None
    by_store: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df = load_data(config)
    df = build_data(df, config)
    params = evaluate_model(df)
    elasticity = build_pricing_decision(params, df)
    decision = apply_pricing_decision(elasticity, config)
    by_store = build_pricing_decision_2(df)
    load_pricing_decision(by_store, config)
    return Results(
        df=df,
        params=params,
        elasticity=elasticity,
        decision=decision,
        by_store=by_store,
    )
