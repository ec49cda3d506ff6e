"""MathWorks' live-coding PINN for a mass-spring-damper (m x'' + mu x' + k x = 0), ported line by line.

Source: https://github.com/matlab-deep-learning/physics-informed-neural-networks-with-matlab-live-coding-session
commit b305e3edfcc78cf5a47d9c33607119134851ce16, files buildPINNs.m, plotMassSpringDamperData.m,
plotModelPredictions.m and the data file massSpringDamperData.mat (copied unchanged beside this script); BSD-3-Clause
licence, Copyright (c) 2024, The MathWorks, Inc. (LICENSE and SOURCE.md beside this file). Where a Python line
differs from the MATLAB line, the MATLAB line is the comment above it.

Usage:  python examples/ports/mass_spring_pinn/build_pinns.py [--iterations 5000] [--hidden 128]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from layergraph import (
    adamupdate,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    featureInputLayer,
    forward,
    fullyConnectedLayer,
    l2loss,
    load,
    mean,
    predict,
    rand,
    recordMetrics,
    sort,
    sum,
    tanhLayer,
    trainingProgressMonitor,
)

HERE = Path(__file__).parent


# ----- plotMassSpringDamperData.m ---------------------------------------------------------------------------
def plotMassSpringDamperData(t0, tmax, tdata, xdata, tpinns, xsolFcn):
    """The exact solution, the data points and the PINN points: here a printed summary (no figure window)."""
    # tt = linspace(t0, tmax, 100);
    tt = np.linspace(t0, tmax, 100)
    xt = xsolFcn(tt)
    # figure(); plot(tt, xt, ...); scatter(tdata, xdata, ...); scatter(tpinns, zeros(length(tpinns),1), ...)
    print(f"exact solution on [{t0:g}, {tmax:g}]: x from {xt.min():.3f} to {xt.max():.3f}; "
          f"{np.size(tdata)} data points, {np.size(tpinns)} PINN points")


# ----- plotModelPredictions.m -------------------------------------------------------------------------------
def plotModelPredictions(fig, ttest, xtest, xpred, iteration):
    """The model's prediction against the exact solution: here the RMSE, kept in `fig` (no figure window)."""
    # figure(fig); plot(ttest,xtest,'b-',...); plot(ttest,xpred,'--',...); title(sprintf('Iteration %d',iteration));
    #   (layergraph's predict gives numeric input back as an unformatted, traced dlarray: extractdata first)
    rmse = float(np.sqrt(np.mean((extractdata(xpred).double().numpy() - xtest) ** 2)))
    fig.append((iteration, rmse))
    print(f"Iteration {iteration}: RMSE against the exact solution {rmse:.4f}")


# ----- buildPINNs.m: local functions ------------------------------------------------------------------------
def modelLoss(net, tdata, xdata, tpinns, m, mu, k):
    """The weighted PINN and data losses and the gradients of their sum."""
    lossPinn = pinnsLoss(net, tpinns, m, mu, k)

    lossData = dataLoss(net, tdata, xdata)

    loss = 0.1 * lossPinn + 0.05 * lossData

    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients, lossPinn, lossData


def pinnsLoss(net, t, m, mu, k):
    """Mean squared residual of m x'' + mu x' + k x at the PINN points."""
    x = forward(net, t)

    xt = dlgradient(sum(x, "all"), t, EnableHigherDerivatives=True)
    # xtt = dlgradient(sum(xt,'all'), t);
    #   (layergraph releases the trace here without RetainData, and modelLoss differentiates x and xt again:
    #    see SOURCE.md)
    xtt = dlgradient(sum(xt, "all"), t, RetainData=True)

    residual = m * xtt + mu * xt + k * x

    loss = mean(residual ** 2, "all")
    return loss


def dataLoss(net, t, xtarget):
    """l2loss of the network at the data points."""
    x = forward(net, t)
    loss = l2loss(x, xtarget)
    return loss


# ----- buildPINNs.m -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=5000, help="numIterations (the program: 5e3)")
    parser.add_argument("--hidden", type=int, default=128, help="numHiddenUnits (the program: 128)")
    parser.add_argument("--data", default=str(HERE / "massSpringDamperData.mat"), help="the program's MAT-file")
    options = parser.parse_args(argv)
    torch.manual_seed(0)  # (the program sets no seed)

    # %% Load data
    # load massSpringDamperData.mat
    #   (a MATLAB script's `load` creates the variables; in a function: S = load(...), then the names)
    S = load(options.data)
    A, B, omega1, omega2 = S.A, S.B, S.omega1, S.omega2
    m, mu, k, t0, tmax = S.m, S.mu, S.k, S.t0, S.tmax
    tdata, xdata, tpinns = S.tdata, S.xdata, S.tpinns

    # xsolFcn = @(t)real(A.*exp(omega1.*t) + B.*exp(omega2.*t));
    #   (numpy's exp and real on complex values; layergraph's rand gives an unformatted dlarray where MATLAB's
    #    gives a double array, so t is made a numpy array first: layergraph has no `real`)
    def xsolFcn(t):
        t = np.asarray(t, dtype=np.float64)
        return np.real(A * np.exp(omega1 * t) + B * np.exp(omega2 * t))

    plotMassSpringDamperData(t0, tmax, tdata, xdata, tpinns, xsolFcn)

    # %% Build neural network
    inputSize = 1  # noqa: F841 (as in the program, which does not use it)
    outputSize = 1
    numHiddenUnits = options.hidden
    layers = [featureInputLayer(1),
              fullyConnectedLayer(numHiddenUnits),
              tanhLayer(),
              fullyConnectedLayer(numHiddenUnits),
              tanhLayer(),
              fullyConnectedLayer(outputSize)]
    net = dlnetwork(layers)

    # deepNetworkDesigner(net)   (an app: not opened)

    # %% Train the neural network

    # Specify training hyperparameters.
    # numIterations = 5e3;
    numIterations = options.iterations

    # Specify ADAM hyperparameters.
    learnRate = 0.01
    mp = []
    vp = []

    # Prepare data for training.
    tdata = dlarray(tdata, "CB")
    xdata = dlarray(xdata, "CB")
    tpinns = dlarray(tpinns, "CB")

    # Create training progress plot.
    # monitor = trainingProgressMonitor(Metrics=["Loss", "LossPINN", "LossData"]);
    monitor = trainingProgressMonitor(Metrics=["Loss", "LossPINN", "LossData"], Visible=False)
    # fig = figure();   (no figure window: plotModelPredictions keeps its RMSE here)
    fig = []

    # Accelerate model loss.
    # accFcn = dlaccelerate(@modelLoss);   (layergraph has no dlaccelerate: the function itself)
    accFcn = modelLoss

    history = []
    # for iteration = 1:numIterations
    for iteration in range(1, numIterations + 1):
        loss, gradients, lossPinn, lossData = dlfeval(accFcn, net, tdata, xdata, tpinns, m, mu, k)

        net, mp, vp = adamupdate(net, gradients, mp, vp, iteration, learnRate)

        recordMetrics(monitor, iteration,
                      Loss=loss,
                      LossPINN=lossPinn,
                      LossData=lossData)
        history.append((float(extractdata(loss)), float(extractdata(lossPinn)), float(extractdata(lossData))))

        # if mod(iteration, 50) == 0
        if iteration % 50 == 0:
            ttest = sort(rand(100, 1)) * tmax
            xtest = xsolFcn(ttest)
            # xpred = predict(net, ttest);
            xpred = predict(net, ttest)
            plotModelPredictions(fig, ttest, xtest, xpred, iteration)
    monitor.close()

    return {"net": net, "history": history, "fig": fig, "xsolFcn": xsolFcn, "S": S, "m": m, "mu": mu, "k": k}


if __name__ == "__main__":
    main(sys.argv[1:])
