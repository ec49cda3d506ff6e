"""analyzeNetwork: MATLAB-style layer tables and issues, comparison with MATLAB's printed tables, pictures of
layer graphs (plot, Mermaid), and the analyzeNetwork page inline in notebooks."""
from layergraph.analyze import notebook  # noqa: F401  (attaches the notebook display)
from layergraph.analyze.compare import compare_table, parse_matlab_table
from layergraph.analyze.plot import layout, mermaid, plot_graph
from layergraph.analyze.report import analyzeNetwork, network_report

__all__ = ["analyzeNetwork", "compare_table", "layout", "mermaid", "network_report", "parse_matlab_table", "plot_graph"]
