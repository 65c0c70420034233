"""Sweeps: a config with a ``[__sweep__]`` table, checked trial by trial, run on Optuna.

- :mod:`excore.sweep.spec`: reading the ``[__sweep__]`` table;
- :mod:`excore.sweep.plan`: each trial's resolved config, checked by the one checker;
- :mod:`excore.sweep.run`: the Optuna study, run folders, local processes or submitit;
- :mod:`excore.sweep.results`: ``excore sweep show``;
- :mod:`excore.sweep.report`: ``excore.report(**metrics)``.

Nothing here imports Optuna or submitit until a sweep is run or shown.
"""
