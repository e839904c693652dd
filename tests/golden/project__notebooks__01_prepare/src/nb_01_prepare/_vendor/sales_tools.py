"""Helpers the project's notebooks share (they import it through `sys.path.append('../src')`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .store_calendar import week_label

REQUIRED = ("store", "week", "price", "visits", "promo", "revenue")


def clean_sales(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows with a revenue and a working door counter, typed, in store and week order."""
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ValueError(f"sales data lacks columns {missing}")
    sales = raw.dropna(subset=["revenue"])
    sales = sales[sales["visits"] > 0].copy()
    sales["promo"] = sales["promo"].astype(int)
    return sales.sort_values(["store", "week"]).reset_index(drop=True)


def add_features(sales: pd.DataFrame) -> pd.DataFrame:
    """Revenue per visit, the log of visits, and a readable week label."""
    features = sales.copy()
    features["revenue_per_visit"] = features["revenue"] / features["visits"]
    features["log_visits"] = np.log(features["visits"])
    features["week_label"] = features["week"].map(week_label)
    return features


def summarize_by_store(frame: pd.DataFrame, value: str = "revenue") -> pd.DataFrame:
    """Mean, total and number of weeks of `value`, per store."""
    grouped = frame.groupby("store")[value]
    return pd.DataFrame({"mean": grouped.mean(), "total": grouped.sum(), "weeks": grouped.size()})
