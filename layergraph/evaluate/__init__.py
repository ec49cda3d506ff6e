"""GAN evaluation: sample-quality metrics in the feature space of a classifier trained on the real images."""
from layergraph.evaluate.evaluator import METRICS, Evaluator
from layergraph.evaluate.metrics import density_coverage, frechet_distance, knn_radii, precision_recall
from layergraph.evaluate.report import evaluate_checkpoint, format_report

__all__ = ["METRICS", "Evaluator", "density_coverage", "evaluate_checkpoint", "format_report", "frechet_distance",
           "knn_radii", "precision_recall"]
