"""The whole notebook as one call: `run(config) -> Results` (credit_approval.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit_approval import business as _business_module
from credit_approval import features as _features_module
from credit_approval.business import apply_business_rules
from credit_approval.config import Config
from credit_approval.data import load_data
from credit_approval.features import build_data_path, build_features, build_quick_look
from credit_approval.model import train_model


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

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
    _features_module.AGE_BINS = config.age_bins
    _features_module.AGE_LABELS = config.age_labels
    _business_module.LGD = config.lgd
    _business_module.PD_THRESHOLD = config.pd_threshold
    _business_module.MAX_LOAN_TO_INCOME = config.max_loan_to_income
    DATA_PATH = build_data_path(config)
    df = load_data(DATA_PATH, config)
    df = build_quick_look(df)
    df_feat, X, y = build_features(df, config)
    X_test, proba_test, auc, model = train_model(X, y, config)
    scored, summary = apply_business_rules(df_feat, X_test, proba_test)
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
