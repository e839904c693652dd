"""Write data/raw/sales.csv: weekly sales of four stores, the same bytes on every run.

    python scripts/make_raw_data.py   (from the project folder)

The values come from `random.Random(7)`, whose sequence Python keeps stable across versions.
A few rows are deliberately dirty (a missing revenue, negative visits) for the cleaning step.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

STORES = ("north", "south", "east", "west")
WEEKS = 18


def rows() -> list[dict[str, object]]:
    rng = random.Random(7)
    out: list[dict[str, object]] = []
    for store_index, store in enumerate(STORES):
        for week in range(1, WEEKS + 1):
            price = round(4.0 + store_index * 0.5 + rng.uniform(-0.8, 0.8), 2)
            visits = int(300 + 40 * store_index + 60 * math.sin(week / 3) + rng.uniform(-25, 25))
            promo = int(week % 4 == 0)
            revenue = round(
                120 - 14 * price + 22 * math.log(visits) + 9 * promo + rng.uniform(-4, 4), 2
            )
            out.append(
                {
                    "store": store,
                    "week": week,
                    "price": price,
                    "visits": visits,
                    "promo": promo,
                    "revenue": revenue,
                }
            )
    out[5]["revenue"] = ""  # a till that did not report
    out[23]["visits"] = -1  # a broken door counter
    out[40]["visits"] = -3
    return out


def main() -> None:
    target = Path(__file__).resolve().parents[1] / "data" / "raw" / "sales.csv"
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows()[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows())


if __name__ == "__main__":
    main()
