"""MathWorks' inverse-problem PINN (Poisson's equation on the unit disk, learning the coefficient c), ported line
by line.

Source: https://github.com/matlab-deep-learning/Inverse-Problems-using-Physics-Informed-Neural-Networks-PINNs
commit 20a80ca16d82044ba7886c7fa35b49811fab54fb, file src/InversePinnConstantCoef.m; BSD-3-Clause licence,
Copyright (c) 2023, The MathWorks, Inc. (LICENSE and SOURCE.md beside this file). Where a Python line differs
from the MATLAB line, the MATLAB line is the comment above it. The program's geometry comes from MATLAB's
Partial Differential Equation Toolbox (createpde, circleg, generateMesh, findNodes), which layergraph does not
have: the section "stand-in for the PDE Toolbox" below makes nodes in the unit disk and on its four boundary
edges with the same names, and says so.

Usage:  python examples/ports/inverse_pinn/inverse_pinn_constant_coef.py [--epochs 1500] [--hmax 0.05]
"""
from __future__ import annotations

import argparse
import math
import sys
from types import SimpleNamespace

import numpy as np
import torch

from layergraph import (
    adamupdate,
    cat,
    dlarray,
    dlfeval,
    dlgradient,
    dlnetwork,
    extractdata,
    featureInputLayer,
    forward,
    fullyConnectedLayer,
    gather,
    l2loss,
    mean,
    minibatchqueue,
    mse,
    numel,
    ones,
    predict,
    recordMetrics,
    size,
    sum,
    tanhLayer,
    trainingProgressMonitor,
    updateInfo,
)
from layergraph.data import arrayDatastore, hasdata, reset


# ----- stand-in for the PDE Toolbox (not in the source: createpde, circleg, generateMesh, findNodes) ---------
def createDiskModel(Hmax: float) -> SimpleNamespace:
    """The unit disk as circleg describes it (four boundary edges, quarter arcs), zero Dirichlet conditions on
    every edge, and mesh nodes about Hmax apart: on the edges and on a grid inside."""
    perEdge = max(2, math.ceil((math.pi / 2) / Hmax))
    angles = [np.linspace(k * math.pi / 2, (k + 1) * math.pi / 2, perEdge, endpoint=False) for k in range(4)]
    boundary = np.concatenate([np.stack([np.cos(a), np.sin(a)]) for a in angles], axis=1)
    grid = np.arange(-1 + Hmax / 2, 1, Hmax)
    gx, gy = np.meshgrid(grid, grid)
    inside = (gx ** 2 + gy ** 2) < (1 - Hmax / 2) ** 2
    interior = np.stack([gx[inside], gy[inside]])
    nodes = np.concatenate([boundary, interior], axis=1)  # 2×N, as msh.Nodes
    edges = [np.arange(k * perEdge, (k + 1) * perEdge) + 1 for k in range(4)]  # 1-based node numbers
    mesh = SimpleNamespace(Nodes=nodes, edges=edges)
    conditions = [SimpleNamespace(u=0) for _ in range(4)]
    return SimpleNamespace(Geometry=SimpleNamespace(NumEdges=4), BoundaryConditions=conditions, Mesh=mesh)


def findNodes(msh: SimpleNamespace, region: str, kind: str, edges) -> np.ndarray:
    """findNodes(msh, "region", "Edge", edges): the 1-based numbers of the nodes on those boundary edges."""
    edges = [edges] if np.isscalar(edges) else list(edges)
    return np.concatenate([msh.edges[e - 1] for e in edges])


def findBoundaryConditions(conditions: list, kind: str, edge: int) -> SimpleNamespace:
    """findBoundaryConditions(model.BoundaryConditions, 'Edge', i)."""
    return conditions[edge - 1]


# ----- src/InversePinnConstantCoef.m -------------------------------------------------------------------------
def modelLoss(model, pinn, XY, pdeCoeffs):
    """The PINN loss (data, PDE residual, boundary) and its gradients for the network and for c."""
    dim = 2
    U = forward(pinn, XY)

    # Loss for difference in data taken at mesh nodes.
    Utrue = getSolutionData(XY)
    lossData = l2loss(U, Utrue)

    # Compute gradients of U and Laplacian of U.
    gradU = dlgradient(sum(U, "all"), XY, EnableHigherDerivatives=True)
    Laplacian = 0
    for i in range(1, dim + 1):
        # Add each term of the Laplacian
        # gradU2 = dlgradient(sum(pdeCoeffs.c.*gradU(i,:),"all"),XY,EnableHigherDerivatives=true);
        gradU2 = dlgradient(sum(pdeCoeffs["c"] * gradU.m[i - 1, :], "all"), XY, EnableHigherDerivatives=True)
        # Laplacian = gradU2(i,:)+Laplacian;
        Laplacian = gradU2.m[i - 1, :] + Laplacian

    # Enforce PDE. Calculate lossF.
    res = -pdeCoeffs["f"] - Laplacian + pdeCoeffs["a"] * U
    lossF = mean(sum(res ** 2, 1), 2)

    # Enforce boundary conditions. Calculate lossU.
    actualBC = []  # contains the actual boundary information
    BC_XY = []  # boundary coordinates
    # Loop over the boundary edges and find boundary coordinates and actual BC
    # assigned to PDE model.
    numBoundaries = model.Geometry.NumEdges
    for i in range(1, numBoundaries + 1):
        BCi = findBoundaryConditions(model.BoundaryConditions, "Edge", i)
        BCiNodes = findNodes(model.Mesh, "region", "Edge", i)
        # BC_XY = [BC_XY, model.Mesh.Nodes(:,BCiNodes)];
        BC_XY = cat(2, BC_XY, model.Mesh.Nodes[:, BCiNodes - 1])
        actualBCi = ones(1, numel(BCiNodes)) * BCi.u
        # actualBC = [actualBC actualBCi];
        actualBC = cat(2, actualBC, actualBCi)
    BC_XY = dlarray(BC_XY, "CB")  # format the coordinates
    predictedBC = forward(pinn, BC_XY)
    lossBC = mse(predictedBC, actualBC)

    # Combine weighted losses.
    lambdaPDE = 0.4  # weighting factor
    lambdaBC = 0.6
    lambdaData = 0.5
    loss = lambdaPDE * lossF + lambdaBC * lossBC + lambdaData * lossData

    # Calculate gradients with respect to the learnable parameters and
    # C-coefficient. Pass back cell array to update pinn and coef separately.
    # gradients = dlgradient(loss,{pinn.Learnables,pdeCoeffs.c});
    gradients = dlgradient(loss, [pinn.Learnables, pdeCoeffs["c"]])
    return loss, gradients


def getSolutionData(XY):
    """The solution data at the points XY: here the exact solution (1 − x² − y²)/4."""
    # UD = (1-XY(1,:).^2-XY(2,:).^2)/4;
    UD = (1 - XY.m[0, :] ** 2 - XY.m[1, :] ** 2) / 4
    return UD


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1500, help="numEpochs (the program: 1500)")
    parser.add_argument("--mini-batch-size", type=int, default=2 ** 12, help="miniBatchSize (the program: 2^12)")
    parser.add_argument("--hmax", type=float, default=0.05, help="the mesh's Hmax (the program: 0.05)")
    options = parser.parse_args(argv)

    # PDE Model Definition
    # rng('default');
    torch.manual_seed(0)
    # model = createpde(); geometryFromEdges(model,@circleg); applyBoundaryCondition(model,"dirichlet", ...
    #     "Edge",1:model.Geometry.NumEdges,"u",0);   (PDE Toolbox: the stand-in above)
    Hmax = options.hmax
    model = createDiskModel(Hmax)

    # Create a structural array of coefficents (pdeCoeffs.c is an initial guess, updated during training)
    pdeCoeffs = {}
    pdeCoeffs["c"] = .5
    # fixed values for other coefficients
    pdeCoeffs["m"] = 0
    pdeCoeffs["d"] = 0
    pdeCoeffs["a"] = 0
    pdeCoeffs["f"] = 1
    # specifyCoefficients(model,...); msh = generateMesh(model,"Hmax",Hmax,...);   (the stand-in's mesh)
    msh = model.Mesh
    # make coefs dlarrays so gradients can be computed
    # pdeCoeffs = structfun(@dlarray,pdeCoeffs,'UniformOutput',false);
    pdeCoeffs = {name: dlarray(value) for name, value in pdeCoeffs.items()}

    # Generate Spatial Data for Training PINN
    boundaryNodes = findNodes(msh, "region", "Edge", range(1, model.Geometry.NumEdges + 1))
    # domainNodes = setdiff(1:size(msh.Nodes,2),boundaryNodes);
    domainNodes = np.setdiff1d(np.arange(1, size(msh.Nodes, 2) + 1), boundaryNodes)
    # domainCollocationPoints = msh.Nodes(:,domainNodes)';
    domainCollocationPoints = msh.Nodes[:, domainNodes - 1].T

    # Define Deep Learning Model
    numLayers = 3
    numNeurons = 50
    layers = [featureInputLayer(2)]
    for _ in range(1, numLayers):
        # layers = [layers; fullyConnectedLayer(numNeurons); tanhLayer];
        layers = [*layers, fullyConnectedLayer(numNeurons), tanhLayer()]
    layers = [*layers, fullyConnectedLayer(1)]
    pinn = dlnetwork(layers)

    # Define Custom Training Loop to Train the PINN Using ADAM Solver
    numEpochs = options.epochs
    miniBatchSize = options.mini_batch_size
    initialLearnRate = 0.01
    learnRateDecay = 0.001
    averageGrad = []  # for pinn updates
    averageSqGrad = []
    pAverageGrad = []  # for parameter updates
    pAverageSqGrad = []

    ds = arrayDatastore(domainCollocationPoints)
    mbq = minibatchqueue(ds, MiniBatchSize=miniBatchSize, MiniBatchFormat="BC")

    numIterations = numEpochs * math.ceil(size(domainCollocationPoints, 1) / miniBatchSize)
    monitor = trainingProgressMonitor(Metrics="Loss", Info="Epoch", XLabel="Iteration", Visible=False)

    # Training Loop
    iteration = 0
    epoch = 0
    learningRate = initialLearnRate
    # lossFcn = dlaccelerate(@modelLoss);   (no tracing cache to build: the function itself)
    lossFcn = modelLoss
    history = []
    while epoch < numEpochs and not monitor.Stop:
        epoch = epoch + 1
        reset(mbq)
        while hasdata(mbq) and not monitor.Stop:
            iteration = iteration + 1
            XY = mbq.next()
            # Evaluate the model loss and gradients using dlfeval.
            loss, gradients = dlfeval(lossFcn, model, pinn, XY, pdeCoeffs)
            # Update the network parameters using the adamupdate function.
            # [pinn,...] = adamupdate(pinn,gradients{1},averageGrad,averageSqGrad,iteration,learningRate);
            pinn, averageGrad, averageSqGrad = adamupdate(pinn, gradients[0], averageGrad,
                                                          averageSqGrad, iteration, learningRate)
            # Update the c coefficient using the adamupdate function. Defer
            # updating until 1/10 of epochs are finished.
            if epoch > numEpochs / 10:
                pdeCoeffs["c"], pAverageGrad, pAverageSqGrad = adamupdate(pdeCoeffs["c"], gradients[1],
                                                                          pAverageGrad, pAverageSqGrad,
                                                                          iteration, learningRate)
        # Update learning rate.
        learningRate = initialLearnRate / (1 + learnRateDecay * iteration)
        # Update the training progress monitor.
        recordMetrics(monitor, iteration, Loss=loss)
        # updateInfo(monitor,Epoch=epoch + " of " + numEpochs);
        updateInfo(monitor, Epoch=f"{epoch} of {numEpochs}")
        monitor.Progress = 100 * iteration / numIterations
        history.append(float(extractdata(loss)))

    # Visualize Data
    nodesDLarry = dlarray(msh.Nodes, "CB")
    Upinn = gather(extractdata(predict(pinn, nodesDLarry)))
    # figure; pdeplot(model,"XYData",Upinn);   (not drawn)
    # title(sprintf("Solution with c = %.4f",double(pdeCoeffs.c)));
    print(f"Solution with c = {float(pdeCoeffs['c']):.4f}")
    monitor.close()
    return {"pinn": pinn, "pdeCoeffs": pdeCoeffs, "model": model, "Upinn": Upinn, "history": history,
            "modelLoss": modelLoss}


if __name__ == "__main__":
    main(sys.argv[1:])
