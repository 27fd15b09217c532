"""repro: a reproducible replication pipeline for classic results on training deep networks."""

__version__ = "0.1.0"
