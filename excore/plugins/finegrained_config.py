"""Fine-grained (YOLO-style) layer lists: ``"$block" = "Container*$Group::name"`` (upstream's
value form: the table ``[Group.name]``, or ``[name]`` for ``"Container*name"``, gives the
parameters below) or the section ``[Field."Container*FinegrainedConfig"]``.

Enable it once with :func:`enable_finegrained_config`, then describe a stack of layers as a table
instead of one section per layer::

    [Backbone."torch.nn.Sequential*FinegrainedConfig"]
    "$class_mapping" = ["Conv2d", "BatchNorm2d", "ReLU"]   # the layer classes, by index
    info = [[1, 0], [1, 1], [1, 2], [2, 0]]                 # [how many, class index] per row
    args = [[3], [16, 3], [], [], [16, 3]]                  # first row: what the first layer
                                                            # receives; then each row's arguments
    unpack = true                                           # Sequential(*layers), not ([layers])

Each layer class declares, as extra info of its registry (``Registry("Layer", extra_field=
["receive", "send"])``), which parameters it **receives** from the previous layer and which of
its own arguments it **sends** on: ``LAYER.register_module(nn.Conv2d, receive="in_channels",
send="out_channels")``. A row's own arguments fill the remaining parameters positionally. The
container (the section's module, ``torch.nn.Sequential`` here) is called with the built layers.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from excore.engine.hook import ConfigArgumentHook
from excore.errors import CoreConfigBuildError, ExcoreError, ModuleBuildError

__all__ = [
    "HOOK_REGISTRY",
    "FinegrainedConfig",
    "FinegrainedError",
    "enable_finegrained_config",
]

HOOK_REGISTRY = "ConfigHook"


class FinegrainedError(ValueError):
    """The layer table does not fit together (shapes, receive/send, registration)."""


class FinegrainedConfig(ConfigArgumentHook):
    """Builds ``node()`` (the container class) from rows of layers.

    Args:
        node: Gives the container class (``torch.nn.Sequential``) when called.
        enabled: When false, the container class itself is returned.
        class_mapping: The layer classes; ``info`` rows refer to them by index.
        info: ``[number, class_index]`` rows: ``number`` copies of that layer.
        args: The first item is what the first layer receives; then one list of arguments per
            ``info`` row, filling the parameters the layer does not receive, in order.
        unpack: Call ``container(*layers)`` (True) or ``container(layers)`` (False).
    """

    receive_key: str = "receive"
    send_key: str = "send"
    table_error: type[Exception] = FinegrainedError  # a mistake in the table (located there)

    def __init__(
        self,
        node: Any,
        enabled: bool = True,
        *,
        class_mapping: Sequence[Any],
        info: Sequence[Sequence[int]],
        args: Sequence[Sequence[Any]],
        unpack: bool = False,
    ) -> None:
        super().__init__(node, enabled)
        self.class_mapping = list(class_mapping)
        self.info = [list(row) for row in info]
        self.args = [list(row) if isinstance(row, (list, tuple)) else [row] for row in args]
        self.unpack = unpack
        self._check_shapes()
        io = [receive_and_send(cls, self.receive_key, self.send_key) for cls in self.class_mapping]
        self.receive = [r for r, _ in io]
        self.send = [s for _, s in io]

    def _check_shapes(self) -> None:
        for index, row in enumerate(self.info):
            if len(row) != 2 or not all(isinstance(v, int) for v in row):
                raise FinegrainedError(f"info[{index}] must be [number, class index], got {row!r}")
            if not 0 <= row[1] < len(self.class_mapping):
                raise FinegrainedError(
                    f"info[{index}] refers to class index {row[1]}, but class_mapping has "
                    f"{len(self.class_mapping)} classes"
                )
        if len(self.args) != len(self.info) + 1:
            raise FinegrainedError(
                f"args needs {len(self.info) + 1} rows (what the first layer receives, then one "
                f"per info row), got {len(self.args)}"
            )

    def layers(self) -> list[Any]:
        """The layers, row by row, each receiving what the previous one sends."""
        passed = self.args[0]
        layers: list[Any] = []
        for index, ((number, class_index), row) in enumerate(zip(self.info, self.args[1:])):
            cls = self.class_mapping[class_index]
            receive = self.receive[class_index]
            if len(passed) != len(receive):
                raise FinegrainedError(
                    f"row {index} ({_name(cls)}) receives {receive} but the previous layer "
                    f"sends {len(passed)} value(s) {passed!r}"
                )
            kwargs = dict(zip(receive, passed))
            free = [p for p in parameter_names(cls) if p not in receive]
            if len(row) > len(free):
                raise FinegrainedError(
                    f"row {index} ({_name(cls)}) has {len(row)} arguments {row!r}, but only "
                    f"{len(free)} parameters are left to fill: {free}"
                )
            kwargs.update(zip(free, row))
            layers.extend(cls(**kwargs) for _ in range(number))
            missing = [key for key in self.send[class_index] if key not in kwargs]
            if missing:
                raise FinegrainedError(
                    f"row {index} ({_name(cls)}) sends {missing}, which it was not given"
                )
            passed = [kwargs[key] for key in self.send[class_index]]
        return layers

    def hook(self) -> Any:
        container = self.node()
        layers = self.layers()
        return container(*layers) if self.unpack else container(layers)


def _name(cls: Any) -> str:
    return getattr(cls, "__name__", repr(cls))


def parameter_names(cls: Any) -> list[str]:
    """Names of the parameters that can be passed by keyword, in order."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


def receive_and_send(cls: Any, receive_key: str, send_key: str) -> tuple[list[str], list[str]]:
    """The ``receive``/``send`` extra info the class was registered with."""
    from excore.registry import Registry, target_of

    try:
        target = target_of(cls)
    except TypeError:
        target = ""
    for registry in Registry.registries().values():
        for name, registered in registry.items():
            if registered != target and registry._objects.get(name) is not cls:
                continue
            missing = [k for k in (receive_key, send_key) if k not in registry.extra_field]
            if missing:
                raise FinegrainedError(
                    f"{_name(cls)} is registered in Registry {registry.name!r}, which has no "
                    f"extra field {missing}: create it with extra_field=['{receive_key}', "
                    f"'{send_key}']"
                )
            info = registry.extra_info.get(name, {})
            return _as_list(info.get(receive_key)), _as_list(info.get(send_key))
    raise FinegrainedError(
        f"{_name(cls)} is not registered with '{receive_key}'/'{send_key}' extra info; register "
        f"it as REG.register_module(..., {receive_key}=..., {send_key}=...)"
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _build_section(builder: Any, module: Any, cls: Any, kwargs: dict[str, Any]) -> Any:
    """Suffix handler: ``[Field."Container*FinegrainedConfig"]`` → the built container."""
    from excore.config.build import Where, _Thunk

    where = Where(module.file, module.section.start, module.section.end, module.path)
    enabled = kwargs.pop("enabled", True)
    try:
        hook = FinegrainedConfig(_Thunk(lambda: cls, module.name), enabled, **kwargs)
        return hook()
    except FinegrainedError as exc:
        raise builder.error(
            CoreConfigBuildError, f"fine-grained config of {module.name}: {exc}", where
        ) from exc
    except ExcoreError:
        raise
    except Exception as exc:
        error = builder.error(
            ModuleBuildError,
            f"building {module.name} failed: {type(exc).__name__}: {exc}",
            where,
        )
        error.original = exc
        raise error from exc


def enable_finegrained_config(
    hook_flag: str = "*",
    rcv_key: str = "receive",
    snd_key: str = "send",
    force: bool = False,
) -> None:
    """Turn on fine-grained values (``"Container*$Group::name"``) and ``Name*FinegrainedConfig``
    sections (idempotent; upstream's signature).

    ``rcv_key``/``snd_key`` name the registry extra fields read for each layer class.
    :class:`FinegrainedConfig` is registered in the ``ConfigHook`` registry so that the checker
    and the editor know its parameters. The value form's flag is ``*`` (the one grammar's); any
    other ``hook_flag`` is refused. ``force`` is accepted for upstream's callers: enabling twice
    is harmless here.
    """
    if hook_flag != "*":
        raise ValueError(
            f"fine-grained values are written 'Container*$Group::name': the flag is '*', "
            f"got {hook_flag!r}"
        )
    del force
    from excore.config.build import register_suffix_handler
    from excore.registry import Registry

    FinegrainedConfig.receive_key = rcv_key
    FinegrainedConfig.send_key = snd_key
    hooks = Registry(HOOK_REGISTRY)
    if hooks.get("FinegrainedConfig") is None:
        hooks.register_module(FinegrainedConfig)
    register_suffix_handler("FinegrainedConfig", _build_section)
