"""MATLAB's training library for custom loops: dlfeval, dlgradient, the *update solvers, checkpoint files,
stopping on Ctrl-C, multi-process helpers. It knows nothing of GANs (that application is layergraph.gan)."""
from layergraph.train.autodiff import dlfeval, dlgradient
from layergraph.train.optimizers import adamupdate, rmspropupdate, sgdmupdate

__all__ = ["adamupdate", "dlfeval", "dlgradient", "rmspropupdate", "sgdmupdate"]
