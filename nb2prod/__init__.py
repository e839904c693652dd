"""nb2prod: turn a Jupyter notebook into a tested production package.

The library's entry points are in `nb2prod.api`; `nb2prod.cli` is the command line over them.
"""

__version__ = "0.1.0"
