"""saro: Safety-oriented Reasoning Optimization (arXiv 2504.09420)."""

__version__ = "0.1.0"
