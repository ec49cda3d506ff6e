"""analyzeNetwork: MATLAB-style layer tables and issues, and comparison with MATLAB's printed tables."""
from layergraph.analyze.compare import compare_table, parse_matlab_table
from layergraph.analyze.report import analyzeNetwork, network_report

__all__ = ["analyzeNetwork", "compare_table", "network_report", "parse_matlab_table"]
