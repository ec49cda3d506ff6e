"""MATLAB's trainingOptions: the solver and its settings for trainnet / trainNetwork, with MATLAB's defaults.

`trainingOptions("sgdm", MaxEpochs=4, ...)` or `trainingOptions('adam', 'InitialLearnRate', 1e-3, ...)`; names
are matched case-insensitively, an option MATLAB does not have (or one its solver does not take, such as Momentum
for "adam") is a one-line error naming it, and an option MATLAB has but layergraph does not run is refused by
name rather than ignored.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any

from layergraph.errors import OptionError
from layergraph.namevalue import match_name, name_value
from layergraph.train.metrics import NAMES, BuiltinMetric

__all__ = ["TrainingOptions", "trainingOptions"]

SOLVERS = ("sgdm", "adam", "rmsprop")
# options that only some solvers take (MATLAB: "'Momentum' is not an option for solver 'adam'.")
_SOLVER_ONLY = {"Momentum": ("sgdm",), "GradientDecayFactor": ("adam",),
                "SquaredGradientDecayFactor": ("adam", "rmsprop"), "Epsilon": ("adam", "rmsprop")}
# MATLAB options layergraph does not run: refused by name so a port never silently trains differently
_UNSUPPORTED = {
    "OutputFcn": "output functions are not supported; use the returned info.TrainingHistory",
    "DispatchInBackground": "batches are prepared in the calling thread",
    "WorkerLoad": "parallel training is not supported", "ObjectiveMetricName": "not supported yet",
    "CheckpointFrequencyUnit": None, "PreprocessingEnvironment": None,
    "Acceleration": None,
}


def _schedule_values() -> tuple[str, ...]:
    return ("none", "piecewise")


@dataclass
class TrainingOptions:
    """The settings trainingOptions returns (MATLAB's TrainingOptionsSGDM/ADAM/RMSProp), under MATLAB's names."""

    SolverName: str = "sgdm"
    InitialLearnRate: float = 0.01
    MaxEpochs: int = 30
    MiniBatchSize: int = 128
    Shuffle: str = "once"
    Momentum: float | None = None
    GradientDecayFactor: float | None = None
    SquaredGradientDecayFactor: float | None = None
    Epsilon: float | None = None
    L2Regularization: float = 1e-4
    GradientThreshold: float = math.inf
    GradientThresholdMethod: str = "l2norm"
    LearnRateSchedule: str = "none"
    LearnRateDropFactor: float = 0.1
    LearnRateDropPeriod: int = 10
    ValidationData: Any = None
    ValidationFrequency: int = 50
    ValidationPatience: float = math.inf
    OutputNetwork: str = "auto"
    Metrics: list[str] = field(default_factory=list)
    Verbose: bool = True
    VerboseFrequency: int = 50
    Plots: str = "none"
    CheckpointPath: str = ""
    CheckpointFrequency: int = 1
    ExecutionEnvironment: str = "auto"
    SequenceLength: Any = "longest"
    SequencePaddingValue: float = 0.0
    SequencePaddingDirection: str = "right"
    InputDataFormats: Any = "auto"
    TargetDataFormats: Any = "auto"
    BatchNormalizationStatistics: str = "auto"
    ResetInputNormalization: bool = True
    Precision: str = "fp32"  # layergraph's own option: MATLAB trains in single precision (fp32)

    def __repr__(self) -> str:
        name = {"sgdm": "SGDM", "adam": "ADAM", "rmsprop": "RMSProp"}[self.SolverName]
        rows = [(f.name, getattr(self, f.name)) for f in fields(self)
                if f.name != "SolverName" and getattr(self, f.name) is not None]
        width = max(len(n) for n, _ in rows)
        return f"TrainingOptions{name} with properties:\n\n" + "\n".join(
            f"  {n.rjust(width)}: {_show(v)}" for n, v in rows)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and math.isinf(value):
        return "Inf"
    if isinstance(value, str):
        return f"'{value}'"
    if value is None or (isinstance(value, list) and not value):
        return "[]"
    if isinstance(value, (int, float, list)):
        return str(value)
    return f"[{type(value).__name__}]"


_NAMES = [f.name for f in fields(TrainingOptions) if f.name != "SolverName"]


def _real(name: str, value: Any, low: float, high: float = math.inf, low_open: bool = False,
          high_open: bool = False, integer: bool = False, allow_inf: bool = False) -> float:
    """A real scalar option inside its interval; one-line error naming the option otherwise."""
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(float(value)):
        raise OptionError(f"trainingOptions: {name} must be a real number; got {value!r}")
    v = float(value)
    if math.isinf(v) and not allow_inf:
        raise OptionError(f"trainingOptions: {name} must be finite; got {value!r}")
    if (v <= low if low_open else v < low) or (v >= high if high_open else v > high) \
            or (integer and not math.isinf(v) and v != int(v)):
        kind = "an integer" if integer else "a number"
        lo, hi = ("(" if low_open else "[") + f"{low:g}", f"{high:g}" + (")" if high_open else "]")
        raise OptionError(f"trainingOptions: {name} must be {kind} in {lo}, {hi}; got {value!r}")
    return v


def _choice(name: str, value: Any, allowed: tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    text = str(value).lower() if isinstance(value, str) else None
    text = (aliases or {}).get(text, text) if text is not None else None
    if text not in allowed:
        raise OptionError(f"trainingOptions: {name} must be one of {', '.join(repr(a) for a in allowed)}; "
                          f"got {value!r}")
    return text


def _flag(name: str, value: Any) -> bool:
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        value = value.item()
    if isinstance(value, bool) or (isinstance(value, (int, float)) and value in (0, 1)):
        return bool(value)
    raise OptionError(f"trainingOptions: {name} must be true or false (1 or 0); got {value!r}")


def _metrics(value: Any) -> list[Any]:
    """Metrics: MATLAB's built-in names (case-insensitive), metric objects such as fScoreMetric(...), functions."""
    items = [value] if isinstance(value, (str, BuiltinMetric)) or callable(value) else list(value or [])
    out = []
    for m in items:
        if callable(m) or isinstance(m, BuiltinMetric):
            out.append(m)
            continue
        out.append(_choice("Metrics", m, tuple(NAMES)))
    return out


def _sequence_length(value: Any) -> str | int:
    """SequenceLength: "longest", "shortest", or a positive integer (split each mini-batch into chunks)."""
    if isinstance(value, str):
        return _choice("SequenceLength", value, ("longest", "shortest"))
    return int(_real("SequenceLength", value, 1, integer=True))


def _check(opts: TrainingOptions) -> None:
    """Validate every option (MATLAB checks them when trainingOptions runs, not when training starts)."""
    o = opts
    o.InitialLearnRate = _real("InitialLearnRate", o.InitialLearnRate, 0.0, low_open=True)
    o.MaxEpochs = int(_real("MaxEpochs", o.MaxEpochs, 1, integer=True))
    o.MiniBatchSize = int(_real("MiniBatchSize", o.MiniBatchSize, 1, integer=True))
    o.Shuffle = _choice("Shuffle", o.Shuffle, ("once", "every-epoch", "never"))
    if o.Momentum is not None:
        o.Momentum = _real("Momentum", o.Momentum, 0.0, 1.0)
    if o.GradientDecayFactor is not None:
        o.GradientDecayFactor = _real("GradientDecayFactor", o.GradientDecayFactor, 0.0, 1.0, high_open=True)
    if o.SquaredGradientDecayFactor is not None:
        o.SquaredGradientDecayFactor = _real("SquaredGradientDecayFactor", o.SquaredGradientDecayFactor, 0.0, 1.0,
                                             high_open=True)
    if o.Epsilon is not None:
        o.Epsilon = _real("Epsilon", o.Epsilon, 0.0, low_open=True)
    o.L2Regularization = _real("L2Regularization", o.L2Regularization, 0.0)
    o.GradientThreshold = _real("GradientThreshold", o.GradientThreshold, 0.0, low_open=True, allow_inf=True)
    o.GradientThresholdMethod = _choice("GradientThresholdMethod", o.GradientThresholdMethod,
                                        ("l2norm", "global-l2norm", "absolute-value"))
    o.LearnRateSchedule = _choice("LearnRateSchedule", o.LearnRateSchedule, _schedule_values())
    o.LearnRateDropFactor = _real("LearnRateDropFactor", o.LearnRateDropFactor, 0.0, 1.0)
    o.LearnRateDropPeriod = int(_real("LearnRateDropPeriod", o.LearnRateDropPeriod, 1, integer=True))
    o.ValidationFrequency = int(_real("ValidationFrequency", o.ValidationFrequency, 1, integer=True))
    o.ValidationPatience = _real("ValidationPatience", o.ValidationPatience, 1, integer=True, allow_inf=True)
    o.OutputNetwork = _choice("OutputNetwork", o.OutputNetwork, ("auto", "last-iteration", "best-validation"),
                              {"best-validation-loss": "best-validation"})
    if o.OutputNetwork == "best-validation" and o.ValidationData is None:
        raise OptionError("trainingOptions: OutputNetwork 'best-validation' needs ValidationData")
    o.Metrics = _metrics(o.Metrics)
    o.Verbose = _flag("Verbose", o.Verbose)
    o.ResetInputNormalization = _flag("ResetInputNormalization", o.ResetInputNormalization)
    o.VerboseFrequency = int(_real("VerboseFrequency", o.VerboseFrequency, 1, integer=True))
    o.Plots = _choice("Plots", o.Plots, ("none", "training-progress"))
    o.CheckpointPath = str(o.CheckpointPath or "")
    o.CheckpointFrequency = int(_real("CheckpointFrequency", o.CheckpointFrequency, 1, integer=True))
    o.ExecutionEnvironment = _choice("ExecutionEnvironment", o.ExecutionEnvironment, ("auto", "cpu", "gpu"))
    o.SequenceLength = _sequence_length(o.SequenceLength)
    o.SequencePaddingValue = _real("SequencePaddingValue", o.SequencePaddingValue, -math.inf)
    o.SequencePaddingDirection = _choice("SequencePaddingDirection", o.SequencePaddingDirection, ("right", "left"))
    o.BatchNormalizationStatistics = _choice("BatchNormalizationStatistics", o.BatchNormalizationStatistics,
                                             ("auto", "moving", "population"))
    o.Precision = _choice("Precision", o.Precision, ("fp32", "bf16", "auto"))


def _given_options(solver: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The name-value options given, each checked to be supported and to belong to the solver."""
    known = _NAMES + list(_UNSUPPORTED)
    try:
        given = name_value("trainingOptions", args, kwargs, known)
    except OptionError as err:
        bad = str(err).split("'")[1] if "unknown option" in str(err) else None
        if bad is not None:
            raise OptionError(f"trainingOptions: '{bad}' is not an option for solver '{solver}'") from None
        raise
    for name in given:
        if name in _UNSUPPORTED:
            why = _UNSUPPORTED[name] or "layergraph does not implement it"
            raise OptionError(f"trainingOptions: option '{name}' is not supported ({why})")
        if name in _SOLVER_ONLY and solver not in _SOLVER_ONLY[name]:
            raise OptionError(f"trainingOptions: '{name}' is not an option for solver '{solver}'")
    return given


def trainingOptions(solverName: str, *args: Any, **kwargs: Any) -> TrainingOptions:
    """MATLAB's `options = trainingOptions(solverName, Name=Value, ...)` for "sgdm", "adam" and "rmsprop".

    Defaults are MATLAB's: InitialLearnRate 0.01 (sgdm) or 0.001 (adam, rmsprop), MaxEpochs 30, MiniBatchSize
    128, Shuffle "once", Momentum 0.9, GradientDecayFactor 0.9, SquaredGradientDecayFactor 0.999 (adam) or 0.9
    (rmsprop), Epsilon 1e-8, L2Regularization 1e-4, GradientThreshold Inf ("l2norm"), ValidationFrequency 50,
    ValidationPatience Inf, Verbose true every 50 iterations, Plots "none".
    """
    if isinstance(solverName, str) and solverName.lower() in ("lbfgs", "lm"):
        raise OptionError(f"trainingOptions: solver '{solverName}' is not supported; use 'sgdm', 'adam' or "
                          "'rmsprop'")
    solver = _choice("solverName", solverName, SOLVERS)
    given = _given_options(solver, args, kwargs)
    opts = TrainingOptions(SolverName=solver, InitialLearnRate=0.01 if solver == "sgdm" else 0.001)
    if solver == "sgdm":
        opts.Momentum = 0.9
    if solver == "adam":
        opts.GradientDecayFactor = 0.9
    if solver in ("adam", "rmsprop"):
        opts.SquaredGradientDecayFactor = 0.999 if solver == "adam" else 0.9
        opts.Epsilon = 1e-8
    for name, value in given.items():
        setattr(opts, name, value)
    _check(opts)
    return opts


def option_name(name: str) -> str:
    """The canonical spelling of a trainingOptions property name (case-insensitive)."""
    return match_name("trainingOptions", name, ["SolverName", *_NAMES])
