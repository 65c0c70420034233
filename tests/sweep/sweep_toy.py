"""A small pure-Python workspace for the sweep tests, written into a temporary folder.

``sweeptoy`` registers a ``ToyMLP`` model, a ``ToySGD`` optimizer and two heads; ``train.py`` builds the
config it is given (``$EXCORE_CONFIG``) and reports a loss computed from the parameters, so a
trial takes a fraction of a second and its value is known in advance.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore import config

WORKSPACE = 'name = "toy"\nsrc_paths = ["src"]\nimport = ["sweeptoy.models"]\n\n[primary_fields]\nModel = "ToyModel"\nOptimizer = "ToyOptimizer"\n'
MODELS = """
from __future__ import annotations

from typing import Literal

from excore import Registry

MODELS = Registry("ToyModel")
OPTIMIZERS = Registry("ToyOptimizer")
HEADS = Registry("ToyHead")


@HEADS.register()
class ToyLinear:
    def __init__(self, width: int = 4) -> None:
        self.width = width


@HEADS.register()
class ToyConv:
    def __init__(self, kernel: int) -> None:
        self.kernel = kernel


@MODELS.register()
class ToyMLP:
    def __init__(
        self, width: int, head: object = None, depth: int = 2, act: Literal["relu", "gelu"] = "relu"
    ) -> None:
        self.width, self.head, self.depth, self.act = width, head, depth, act


@OPTIMIZERS.register()
class ToySGD:
    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
"""
BASE = """epochs = 2
batch_size = 8

[Model.ToyMLP]
width = 8
"!head" = "ToyLinear"

[Optimizer.ToySGD]
lr = 0.1
"""
TRAIN = """
import os, sys, time
from excore import config, report

cfg = config.load(os.environ["EXCORE_CONFIG"])
modules, info = config.build_all(cfg)
model, opt = modules.Model, modules.Optimizer
print("gpus:", os.environ.get("CUDA_VISIBLE_DEVICES", "-"), "args:", " ".join(sys.argv[1:]), flush=True)
if os.environ.get("TOY_FAIL") == f"{model.width}-{opt.lr}":
    print("diverged: loss is nan", file=sys.stderr)
    sys.exit(3)
time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
for epoch in range(info["epochs"]):
    loss = (opt.lr - 0.05) ** 2 + 1.0 / model.width + epoch
    report(epoch=epoch, val_loss=loss)
report(val_loss=(opt.lr - 0.05) ** 2 + 1.0 / model.width)
print("done", model.width, opt.lr)
"""


def write_workspace(root: Path) -> Path:
    (root / "src" / "sweeptoy").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "excore.toml").write_text(WORKSPACE, encoding="utf-8")
    (root / "src" / "sweeptoy" / "__init__.py").write_text("", encoding="utf-8")
    (root / "src" / "sweeptoy" / "models.py").write_text(MODELS, encoding="utf-8")
    (root / "configs" / "base.toml").write_text(BASE, encoding="utf-8")
    (root / "train.py").write_text(TRAIN, encoding="utf-8")
    return root


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = write_workspace(tmp_path / "toy")
    monkeypatch.chdir(root)
    for name in ("EXCORE_WORKSPACE", "EXCORE_RUN_DIR", "EXCORE_CONFIG", "EXCORE_VALIDATE"):
        monkeypatch.delenv(name, raising=False)
    config.set_primary_fields(None)
    yield root
    config.set_primary_fields(None)


def write(root: Path, name: str, text: str) -> Path:
    path = root / "configs" / name
    path.write_text(text, encoding="utf-8")
    return path


def subprocess_env() -> dict[str, str]:
    """The environment of a real ``excore`` subprocess: this checkout first on the path."""
    repo = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([repo, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    for name in ("EXCORE_WORKSPACE", "EXCORE_RUN_DIR", "EXCORE_CONFIG"):
        env.pop(name, None)
    return env
