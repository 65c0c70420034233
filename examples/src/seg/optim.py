"""Optimizers, learning-rate schedulers, losses and ``torch`` itself, registered from torch."""

from __future__ import annotations

import inspect
from types import ModuleType

import torch
from torch import nn, optim
from torch.optim import lr_scheduler

from seg.registries import LOSSES, LR_SCHEDULERS, MODULES, OPTIMIZERS


def _is_optimizer(name: str, module: ModuleType) -> bool:
    member = getattr(module, name)
    return (
        inspect.isclass(member)
        and issubclass(member, optim.Optimizer)
        and member is not optim.Optimizer
    )


def _is_lr_scheduler(name: str, module: ModuleType) -> bool:
    member = getattr(module, name)
    if not inspect.isclass(member) or name.startswith("_"):
        return False
    if member is lr_scheduler.ReduceLROnPlateau:
        return True
    return issubclass(member, lr_scheduler.LRScheduler) and member is not lr_scheduler.LRScheduler


def _is_loss(name: str, module: ModuleType) -> bool:
    member = getattr(module, name)
    return inspect.isclass(member) and issubclass(member, nn.Module) and name.endswith("Loss")


OPTIMIZERS.match(optim, _is_optimizer)
LR_SCHEDULERS.match(lr_scheduler, _is_lr_scheduler)
LOSSES.match(nn, _is_loss)
# Configs may name anything below torch: "!act" = "torch.nn.ReLU", "$act" = "torch.nn.GELU".
MODULES.register_module(torch)
