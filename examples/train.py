"""A small CPU training loop for the example workspace, run by ``excore run`` and sweeps.

    excore run examples/configs/fcn_resnet.toml -- python examples/train.py {config}
    excore sweep run examples/configs/sweep_lr.toml --jobs 2 -- python examples/train.py {config}

It builds the config it is given (the first argument, else ``$EXCORE_CONFIG``), trains the model
for ``epochs`` on the synthetic training set and reports the validation loss of each epoch with
``excore.report`` (written to the run folder's ``metrics.jsonl``; a sweep's trial value is the
last ``val_loss``).
"""

from __future__ import annotations

import os
import sys

import torch
from torch.utils.data import DataLoader

import excore
from excore import config


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EXCORE_CONFIG", "")
    if not path:
        print("usage: train.py CONFIG (or set EXCORE_CONFIG)", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    torch.set_num_threads(1)
    modules, info = config.build_all(config.load(path))
    model, loss_fn, optimizer = modules.Model, modules.Loss, modules.Optimizer
    scheduler = modules.get("LRScheduler")
    train = DataLoader(modules.TrainData, batch_size=int(info.get("batch_size", 4)), shuffle=True)
    test = DataLoader(modules.TestData, batch_size=8)
    for epoch in range(int(info.get("epochs", 1))):
        model.train()
        for images, masks in train:
            optimizer.zero_grad()
            loss = loss_fn(model(images), masks)
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        model.eval()
        with torch.no_grad():
            total = sum(float(loss_fn(model(x), y)) * len(x) for x, y in test)
        val_loss = total / len(test.dataset)
        excore.report(epoch=epoch, train_loss=float(loss), val_loss=val_loss)
        print(f"epoch {epoch}: train loss {float(loss):.4f}, val loss {val_loss:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
