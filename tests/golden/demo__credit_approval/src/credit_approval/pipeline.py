"""The whole notebook as one call: `run(config) -> Results` (credit_approval.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit_approval.business import apply_business_rules
from credit_approval.config import Config
from credit_approval.data import load_data, locate_data_path
from credit_approval.features import build_df, build_features
from credit_approval.model import train_model


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    DATA_PATH: Any = None
    df: Any = None
    df_feat: Any = None
    X: Any = None
    y: Any = None
    X_test: Any = None
    proba_test: Any = None
    auc: Any = None
    model: Any = None
    scored: Any = None
    summary: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    DATA_PATH = locate_data_path(config)
    df = load_data(DATA_PATH, config)
    df = build_df(df)
    df_feat, X, y = build_features(df, config)
    X_test, proba_test, auc, model = train_model(X, y, config)
    scored, summary = apply_business_rules(df_feat, X_test, proba_test, config)
    return Results(
        DATA_PATH=DATA_PATH,
        df=df,
        df_feat=df_feat,
        X=X,
        y=y,
        X_test=X_test,
        proba_test=proba_test,
        auc=auc,
        model=model,
        scored=scored,
        summary=summary,
    )
