"""The `layergraph` command line: one module per sub-command (cmd_*.py)."""
