"""nb2prod: turn a Jupyter notebook into a tested production package."""

__version__ = "0.1.0"
