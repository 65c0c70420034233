"""The registries of the example project: one per kind of thing a config can name."""

from excore import Registry

MODELS = Registry("Model", extra_field="task")
BACKBONES = Registry("Backbone", extra_field=["family"])
HEADS = Registry("Head")
LOSSES = Registry("Loss")
OPTIMIZERS = Registry("Optimizer")
LR_SCHEDULERS = Registry("LRScheduler")
DATASETS = Registry("Data")
TRANSFORMS = Registry("Transform")
HOOKS = Registry("ConfigHook")
# Whole Python modules: configs may name anything below them, e.g. "torch.nn.ReLU".
MODULES = Registry("Module")

__all__ = [
    "BACKBONES",
    "DATASETS",
    "HEADS",
    "HOOKS",
    "LOSSES",
    "LR_SCHEDULERS",
    "MODELS",
    "MODULES",
    "OPTIMIZERS",
    "TRANSFORMS",
]
