"""The stores' calendar: weeks are numbered from the start of the season."""

SEASON = "2024-S1"


def week_label(week: int) -> str:
    return f"{SEASON}-W{int(week):02d}"
