"""Mixed precision: `auto` follows the hardware (simulated here), bf16 steps keep learnables, optimizer state and
batch-norm statistics in float32, losses are float32, and resume under bf16 equals an uninterrupted run."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from layergraph import crossentropy, dlarray, ganLoss, mixed_precision, mse
from layergraph import precision as prec
from layergraph.errors import SpecError
from layergraph.gan.config import load_config
from layergraph.gan.trainer import GANTrainer
from layergraph.train.checkpoint import load_checkpoint
from tests.helpers import tiny_config, weights, write_config

X86_NO_BF16 = "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma\n"
X86_BF16 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n"
ARM_BF16 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"

@pytest.fixture
def cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Pretend /proc/cpuinfo says `text` (the detection is cached, so the cache is cleared around it)."""
    def use(text: str) -> None:
        (tmp_path / "cpuinfo").write_text(text)
        monkeypatch.setenv(prec.CPUINFO_ENV, str(tmp_path / "cpuinfo"))
        prec.bf16_support.cache_clear()
    yield use
    prec.bf16_support.cache_clear()


def test_cpu_flags_reads_x86_and_arm_listings(tmp_path: Path) -> None:
    for text, expect in ((X86_BF16, {"avx512_bf16", "amx_bf16"}), (ARM_BF16, {"bf16"})):
        path = tmp_path / "info"
        path.write_text(text)
        assert expect <= prec.cpu_flags(str(path))
    assert prec.cpu_flags(str(tmp_path / "missing")) == set()


def test_auto_is_fp32_without_bf16_hardware_and_bf16_with_it(cpuinfo) -> None:
    cpuinfo(X86_NO_BF16)
    p = prec.resolve_precision("auto", "cpu")
    assert (p.name, p.dtype) == ("fp32", torch.float32)
    assert "without AVX-512 BF16" in p.reason
    assert prec.resolve_precision("bf16", "cpu").reason.startswith("asked for; emulated")  # honoured, with a warning
    for text in (X86_BF16, ARM_BF16):
        cpuinfo(text)
        p = prec.resolve_precision("auto", "cpu")
        assert (p.name, p.dtype) == ("bf16", torch.bfloat16)
    assert prec.resolve_precision("fp32", "cpu").name == "fp32"
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16"):
        prec.resolve_precision("fp16", "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the answer on a machine without CUDA")
def test_cuda_without_a_device_is_not_bf16() -> None:
    assert prec.bf16_support("cuda") == (False, "no CUDA device")


def test_mixed_precision_runs_convolutions_in_bf16_and_losses_in_fp32() -> None:
    conv = torch.nn.Conv2d(1, 2, 3)
    x = torch.randn(4, 1, 6, 6)
    with mixed_precision("bf16", "cpu") as p:
        y = conv(x)
        assert p.name == "bf16" and y.dtype == torch.bfloat16
        probs = torch.sigmoid(y.mean((1, 2, 3))).reshape(1, 1, 1, 4)
        loss_g, loss_d = ganLoss(probs, probs.flip(-1))
        assert loss_g.dtype == loss_d.dtype == torch.float32
        Y = dlarray(torch.softmax(y.mean((2, 3)), 1).T, "CB")
        T = dlarray(torch.eye(2)[:, [0, 1, 0, 1]], "CB")
        assert crossentropy(Y, T).dtype == torch.float32
        assert mse(Y, T).dtype == torch.float32
    with mixed_precision("fp32", "cpu"):
        assert conv(x).dtype == torch.float32


def test_bf16_steps_keep_learnables_optimizer_state_and_statistics_float32(tmp_path: Path) -> None:
    cfg = load_config(tiny_config(tmp_path, precision="bf16"), maxIterations=2)
    trainer = GANTrainer(cfg)
    assert trainer.precision.name == "bf16"
    seen: list[torch.dtype] = []
    conv = next(m for m in trainer.netD.module.modules() if isinstance(getattr(m, "Weights", None), torch.Tensor)
                and m.Weights.dim() == 4)
    conv.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    before = {k: v.clone() for k, v in trainer.netG.tensors().items()}
    ckpt = trainer.run()
    assert torch.bfloat16 in seen, "the discriminator's convolution did not run in bf16"
    for net in (trainer.netG, trainer.netD):
        assert {v.dtype for v in net.Learnables.Value} == {torch.float32}
        assert {v.dtype for v in net.State.Value} == {torch.float32}
    states = [trainer.state.avgG, trainer.state.avgSqG, trainer.state.avgD, trainer.state.avgSqD]
    assert {v.dtype for s in states for v in s.Value} == {torch.float32}
    assert any(not torch.equal(before[k], v) for k, v in trainer.netG.tensors().items())
    assert all(torch.isfinite(v).all() for v in trainer.netG.tensors().values())
    assert load_checkpoint(ckpt)[1]["precision"] == "bf16"


def test_resume_under_bf16_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    def config(out: str, iterations: int):
        return load_config(tiny_config(tmp_path, precision="bf16"), output=str(tmp_path / out),
                           maxIterations=iterations)
    GANTrainer(config("full", 3)).run()
    GANTrainer(config("part", 1)).run()
    GANTrainer(config("part", 3)).run(resume=True)
    a, b = weights(tmp_path / "full/checkpoint.safetensors"), weights(tmp_path / "part/checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"


def test_auto_resumes_in_the_checkpoints_precision(tmp_path: Path, cpuinfo) -> None:
    cpuinfo(X86_BF16)  # trained where auto meant bf16 …
    cfg = load_config(tiny_config(tmp_path, precision="auto"), maxIterations=1)
    GANTrainer(cfg).run()
    cpuinfo(X86_NO_BF16)  # … resumed where auto means fp32: the run keeps bf16 so it equals an uninterrupted one
    again = GANTrainer(load_config(tiny_config(tmp_path, precision="auto"), maxIterations=2))
    assert again.precision.name == "fp32"
    again.run(resume=True)
    assert again.precision.name == "bf16"
    assert "as the checkpoint was trained" in again.precision.reason


def test_precision_option_in_configs(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path, precision=None)).precision == "auto"
    assert load_config(write_config(tmp_path, precision=None, bf16=True)).precision == "auto"  # the older option
    assert load_config(write_config(tmp_path, precision=None, bf16=False)).precision == "fp32"
    with pytest.raises(SpecError, match=r"train\.yaml:\d+: option 'precision'"):
        load_config(tiny_config(tmp_path, precision="fp16"))
