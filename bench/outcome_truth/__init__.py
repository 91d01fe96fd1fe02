"""The outcome-truth benchmark: a simulated customer base, run through the real CLI, measured on held-out accounts.

`bench/outcome_truth.py` is the entry point; `simulate` writes the data, `protocol` drives the CLI,
`evaluate` measures, `report` prints.
"""
