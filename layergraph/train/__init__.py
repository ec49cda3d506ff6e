"""MATLAB-style custom training: dlfeval, dlgradient, the *update solvers, GAN losses, checkpoints, GAN training."""
from layergraph.train.autodiff import dlfeval, dlgradient
from layergraph.train.losses import ganLoss, ganLossFromLogits
from layergraph.train.optimizers import adamupdate, rmspropupdate, sgdmupdate

__all__ = ["adamupdate", "dlfeval", "dlgradient", "ganLoss", "ganLossFromLogits", "rmspropupdate", "sgdmupdate"]
