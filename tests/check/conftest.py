"""A small signature source built from plain data, shared by the checker tests."""

from __future__ import annotations

import pytest

from excore.schema.index import RegistryInfo, WorkspaceIndex
from excore.signatures import MemberInfo, ModuleInfo, ParamInfo


def _p(
    name: str,
    json_type: list[str] | None = None,
    required: bool = False,
    default: object = None,
    **kw: object,
) -> ParamInfo:
    return ParamInfo(
        name,
        json_type=list(json_type or []),
        required=required,
        has_default=not required,
        default=default,
        **kw,
    )  # type: ignore[arg-type]


def make_index() -> WorkspaceIndex:
    models = {
        "FCN": ModuleInfo(
            "FCN",
            "Model",
            "class",
            "seg.models:FCN",
            params=[
                _p("backbone", required=True),
                _p("head", required=True),
                _p("num_classes", ["integer"], default=19),
            ],
            members=[
                MemberInfo("parameters", "method", "parameters(recurse=True)"),
                MemberInfo("forward", "method"),
            ],
        ),
        "ResNet": ModuleInfo(
            "ResNet",
            "Backbone",
            "class",
            "seg.models:ResNet",
            params=[
                _p("depth", ["integer"], required=True),
                _p("block"),
                _p("act"),
                _p("width", ["number"], default=1.0),
            ],
            members=[MemberInfo("out_channels", "attribute")],
        ),
        "SimpleHead": ModuleInfo(
            "SimpleHead",
            "Head",
            "class",
            "seg.models:SimpleHead",
            params=[
                _p("in_channels", ["integer"], default=64),
                _p("mode", ["string"], default="a", literal_values=["a", "b"]),
            ],
        ),
        "BasicBlock": ModuleInfo("BasicBlock", "Block", "class", "seg.models:BasicBlock"),
        "Anything": ModuleInfo(
            "Anything",
            "Head",
            "class",
            "seg.models:Anything",
            params=[ParamInfo("kwargs", "var_keyword")],
        ),
    }
    regs: dict[str, dict[str, ModuleInfo]] = {
        "Model": {},
        "Backbone": {},
        "Head": {},
        "Block": {},
        "Hook": {},
        "Optimizer": {},
        "Lib": {},
    }
    for info in models.values():
        regs[info.registry][info.name] = info
    regs["Hook"]["WDHook"] = ModuleInfo(
        "WDHook",
        "Hook",
        "hook",
        "seg.hooks:WDHook",
        params=[
            _p("node", required=True),
            _p("enabled", ["boolean"], required=True),
            _p("weight_decay", ["number"], required=True),
        ],
    )
    regs["Optimizer"]["SGD"] = ModuleInfo(
        "SGD",
        "Optimizer",
        "class",
        "torch.optim:SGD",
        params=[_p("params", required=True), _p("lr", ["number"], default=0.1)],
    )
    regs["Lib"]["torch"] = ModuleInfo("torch", "Lib", "module", "torch")
    index = WorkspaceIndex(
        registries={name: RegistryInfo(name, [], mods) for name, mods in regs.items()},
        fields={"Model": "Model", "Backbone": "Backbone", "Optimizer": "Optimizer"},
    )
    index.python_modules["torch.nn"] = ModuleInfo("torch.nn", "Lib", "module", "torch.nn")
    index.python_modules["torch.nn.ReLU"] = ModuleInfo(
        "torch.nn.ReLU",
        "Lib",
        "class",
        "torch.nn:ReLU",
        params=[_p("inplace", ["boolean"], default=False)],
    )
    return index


@pytest.fixture()
def index() -> WorkspaceIndex:
    return make_index()
