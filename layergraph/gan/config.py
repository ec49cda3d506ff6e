"""The `layergraph train` configuration: a YAML file validated like specs (file:line errors)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from layergraph.errors import SpecError
from layergraph.layers.options import numbers_rule
from layergraph.spec.builtin import is_builtin_name, resolve_spec_path
from layergraph.spec.yamlsafe import LineDict, read_yaml_file


class Augmentation(BaseModel):
    """imageDataAugmenter options applied to the real images."""

    model_config = ConfigDict(extra="forbid")
    RandXReflection: bool = True
    RandYReflection: bool = False


class TrainConfig(BaseModel):
    """Everything one GAN/CGAN training run needs; paths are relative to the config file."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    generator: Path
    discriminator: Path
    # values for the specs' template parameters (params:), as `--set generator.NAME=VALUE` gives them
    generatorParams: dict[str, Any] = Field(default_factory=dict)
    discriminatorParams: dict[str, Any] = Field(default_factory=dict)
    data: Path
    output: Path = Path("runs/gan")
    imageSize: tuple[int, int] = Field(description="[h w] the images are resized to")
    conditional: bool | None = None  # None: decided by the generator's number of inputs
    numLatentInputs: int | None = None  # None: the generator's first input size
    numEpochs: int = Field(50, ge=1)
    maxIterations: int | None = Field(None, ge=1)
    miniBatchSize: int = Field(128, ge=1)
    learnRate: float = Field(0.0002, gt=0)
    gradientDecayFactor: float = Field(0.5, ge=0, lt=1)
    squaredGradientDecayFactor: float = Field(0.999, ge=0, lt=1)
    flipFactor: float = Field(0.3, ge=0, le=1)
    # not in MATLAB's examples: an exponential moving average of the generator's weights makes the images
    # (progress figure, checkpoint, `generate`); 0 turns it off
    generatorAverageDecay: float = Field(0.0, ge=0, lt=1)
    # not in MATLAB's examples either: stabilizers from the GAN literature, all off by default (docs/cli.md)
    lossFunction: Literal["ganLoss", "hinge"] = "ganLoss"
    learnRateGenerator: float | None = Field(None, gt=0)  # None: learnRate (two time-scale rates when they differ)
    learnRateDiscriminator: float | None = Field(None, gt=0)
    diffAugment: list[Literal["color", "translation", "cutout"]] = Field(default_factory=list)
    r1Gamma: float = Field(0.0, ge=0)
    evaluationFrequency: int | None = Field(None, ge=1)  # score the generator every N iterations (layergraph evaluate)
    validationFrequency: int = Field(100, ge=1)
    checkpointFrequency: int = Field(200, ge=1)
    numValidationImagesPerClass: int = Field(5, ge=1, le=100)
    seed: int = Field(0, ge=0, lt=2**32)  # MATLAB's rng(seed): a non-negative integer below 2^32
    executionEnvironment: Literal["auto", "cpu", "gpu"] = "auto"
    augmentation: Augmentation = Augmentation()
    channelsLast: bool = False
    compile: bool = False
    # "auto": bf16 autocast where the device has bf16 arithmetic, float32 elsewhere (layergraph.precision)
    precision: Literal["auto", "fp32", "bf16"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _old_bf16(cls, data: Any) -> Any:
        """`bf16: true|false` (the option before `precision`) reads as auto|fp32: it asked for bf16 on CUDA and
        was ignored on CPUs, which is what `auto` does on the machines where bf16 is slow."""
        if isinstance(data, dict) and "bf16" in data and "precision" not in data:
            data = dict(data)
            flag = data.pop("bf16")
            if isinstance(flag, bool):
                data["precision"] = "auto" if flag else "fp32"
            else:
                data["bf16"] = flag  # left for the unknown-option error
        return data

    @field_validator("imageSize", mode="before")
    @classmethod
    def _size(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)) and len(v) == 3:
            v = v[:2]  # channels come from the generator's output
        return v

    def resolve(self, base: Path) -> TrainConfig:
        """Make relative paths relative to `base` (the config file's folder); a network named `template:NAME` is
        the shipped spec of that name."""
        fix = {k: (base / getattr(self, k)) for k in ("generator", "discriminator", "data", "output")
               if not getattr(self, k).is_absolute()}
        for k in ("generator", "discriminator"):
            name = str(getattr(self, k))
            if is_builtin_name(name):
                fix[k] = Path(resolve_spec_path(name))
        return self.model_copy(update=fix)

    def with_params(self, sets: dict[str, Any]) -> TrainConfig:
        """The config with `--set generator.NAME=VALUE` / `discriminator.NAME=VALUE` merged over its
        generatorParams / discriminatorParams (the spec templates' parameters)."""
        update = {f"{net}Params": {**getattr(self, f"{net}Params"),
                                   **{k.split(".", 1)[1]: v for k, v in sets.items() if k.startswith(f"{net}.")}}
                  for net in ("generator", "discriminator")}
        return self.model_copy(update=update)


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """Read and validate a training config; errors name file:line and the key."""
    p = Path(path)
    data = read_yaml_file(p)
    if not isinstance(data, dict):
        raise SpecError(f"{p}:1: a training config must be a mapping of options")
    lines = data.lines if isinstance(data, LineDict) else {}
    start = data.line if isinstance(data, LineDict) else 1
    values = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    for key, value in values.items():
        try:
            numbers_rule(TrainConfig.model_fields, {key: value})  # no true/false as a number, no NaN/Inf
        except ValueError as err:
            raise SpecError(f"{p}:{lines.get(key, start)}: {err}") from None
    try:
        cfg = TrainConfig(**values)
    except ValidationError as err:
        first = err.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "?"
        line = lines.get(key, start)
        what = "unknown option" if first["type"] == "extra_forbidden" else first["msg"]
        known = f" (options: {', '.join(TrainConfig.model_fields)})" if first["type"] == "extra_forbidden" else ""
        raise SpecError(f"{p}:{line}: option '{'.'.join(map(str, first['loc']))}': {what}{known}") from None
    if cfg.executionEnvironment == "gpu":
        from layergraph.devices import canUseGPU

        if not canUseGPU():  # found before any work, with the line that asks for it
            raise SpecError(f"{p}:{lines.get('executionEnvironment', start)}: option 'executionEnvironment': 'gpu' "
                            "was requested but no CUDA device is available (use 'auto' or 'cpu')")
    return cfg.resolve(p.parent)
