"""Checks of the code's shape that run in ``make lint``, beside ruff and mypy."""
