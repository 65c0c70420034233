"""The hand-written index of the test workspace (tests/ls/fixtures/ws), in the real format.

Built from ``excore.signatures`` dataclasses and written with ``index_to_json``, so it always
matches what ``load_index`` reads. Source lines are looked up in ``src/toy/models.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from excore.schema.index import RegistryInfo, WorkspaceIndex, index_to_json
from excore.signatures import MemberInfo, ModuleInfo, ParamInfo

SOURCE = "src/toy/models.py"
MODULE_BASE = "toy.models:Module"


def _lines(workspace: Path) -> dict[str, int]:
    text = (workspace / SOURCE).read_text(encoding="utf-8")
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"(?:class|def) (\w+)", line)
        if m:
            out[m.group(1)] = number
    return out


def p(
    name: str, annotation: str = "", default: object = ..., description: str = "", **kw: object
) -> ParamInfo:
    json_type = {
        "int": ["integer"],
        "float": ["number"],
        "bool": ["boolean"],
        "str": ["string"],
        "list": ["array"],
    }.get(annotation, [])
    info = ParamInfo(
        name, annotation=annotation, json_type=list(json_type), description=description
    )
    if default is ...:
        info.required = True
    else:
        info.has_default = True
        info.default = default
    for k, v in kw.items():
        setattr(info, k, v)
    return info


PARAMETERS = MemberInfo(
    "parameters",
    "method",
    "()",
    "Iterate over the trainable parameters.",
    "Iterate over the trainable parameters.",
)


def build(workspace: Path) -> WorkspaceIndex:
    lines = _lines(workspace)

    def m(
        name: str,
        registry: str,
        params: list[ParamInfo],
        doc: str,
        kind: str = "class",
        members: list[MemberInfo] | None = None,
        bases: list[str] | None = None,
    ) -> ModuleInfo:
        sig = "(" + ", ".join(q.name for q in params) + ")"
        return ModuleInfo(
            name,
            registry,
            kind,
            f"toy.models:{name}",
            SOURCE,
            lines[name],
            sig,
            doc,
            doc.splitlines()[0],
            params,
            {},
            bases if bases is not None else [MODULE_BASE],
            members if members is not None else [PARAMETERS],
        )

    module_targets = [MODULE_BASE]
    registries = {
        "Model": [
            m(
                "FCN",
                "Model",
                [
                    p(
                        "backbone",
                        "Module",
                        description="The feature extractor.",
                        annotation_targets=module_targets,
                    ),
                    p(
                        "head",
                        "Module",
                        description="The segmentation head.",
                        annotation_targets=module_targets,
                    ),
                    p("aux", "bool", False, "Whether to add an auxiliary loss."),
                ],
                "Fully convolutional segmentation network.",
            )
        ],
        "Backbone": [
            m(
                "ResNet",
                "Backbone",
                [
                    p("block", "type", description="The residual block class."),
                    p("layers", "list", description="Blocks per stage."),
                    p("base_channels", "int", 8),
                    p(
                        "act",
                        "Optional[Module]",
                        None,
                        "Activation module.",
                        annotation_targets=module_targets,
                    ),
                ],
                "A small ResNet.",
            ),
            m(
                "BasicBlock",
                "Backbone",
                [p("in_channels", "int"), p("out_channels", "int"), p("stride", "int", 1)],
                "Two 3x3 convolutions with a residual connection.",
            ),
            m(
                "Bottleneck",
                "Backbone",
                [p("in_channels", "int"), p("out_channels", "int")],
                "1x1, 3x3, 1x1 convolutions.",
            ),
        ],
        "Head": [
            m(
                "FCNHead",
                "Head",
                [p("in_channels", "int"), p("num_classes", "int"), p("dropout", "float", 0.1)],
                "A 3x3 conv head.",
            ),
            m(
                "SimpleHead",
                "Head",
                [p("in_channels", "int"), p("num_classes", "int")],
                "A 1x1 conv head.",
            ),
        ],
        "Optimizer": [
            m(
                "SGD",
                "Optimizer",
                [p("params"), p("lr", "float", 0.01), p("momentum", "float", 0.0)],
                "Stochastic gradient descent.",
                kind="function",
                members=[],
                bases=[],
            )
        ],
        "Data": [
            m(
                "Synthetic",
                "Data",
                [
                    p("size", "int", description="Side of the square images."),
                    p("root", "str", ""),
                    p(
                        "mode",
                        "Literal['train', 'test']",
                        "train",
                        "Which split.",
                        literal_values=["train", "test"],
                        json_type=["string"],
                    ),
                    p("transforms", "list", []),
                ],
                "Synthetic segmentation data.",
                members=[],
                bases=[],
            )
        ],
        "Transform": [
            m(
                "Resize",
                "Transform",
                [p("size", "int", 32)],
                "Resize to a square.",
                members=[],
                bases=[],
            ),
            m(
                "Pad",
                "Transform",
                [p("size", "int", 32), p("ignore_index", "int", 255)],
                "Pad to a square.",
                members=[],
                bases=[],
            ),
        ],
        "ConfigHook": [
            m(
                "BnWeightDecayHook",
                "ConfigHook",
                [p("node"), p("enabled", "bool"), p("weight_decay", "float", 0.0)],
                "Drops weight decay on norm layers.",
                kind="hook",
                members=[],
                bases=[],
            )
        ],
        "Module": [
            ModuleInfo(
                "torch",
                "Module",
                "module",
                "torch",
                doc="The torch package.",
                members=[MemberInfo("nn", "module", summary="Neural network layers.")],
            )
        ],
    }
    relu = ModuleInfo(
        "torch.nn.ReLU",
        "Module",
        "class",
        "torch.nn.modules.activation:ReLU",
        signature="(inplace=False)",
        doc="Applies the rectified linear unit.",
        params=[p("inplace", "bool", False)],
    )
    python_modules = {
        "torch": ModuleInfo(
            "torch", "Module", "module", "torch", members=[MemberInfo("nn", "module")]
        ),
        "torch.nn": ModuleInfo(
            "torch.nn",
            "Module",
            "module",
            "torch.nn",
            members=[
                MemberInfo(
                    "ReLU", "class", "(inplace=False)", "Applies the rectified linear unit."
                ),
                MemberInfo("GELU", "class", "(approximate='none')", "Applies GELU."),
            ],
        ),
        "torch.nn.ReLU": relu,
    }
    return WorkspaceIndex(
        registries={
            name: RegistryInfo(name, [], {info.name: info for info in infos})
            for name, infos in registries.items()
        },
        fields={"Model": "Model", "Optimizer": "Optimizer", "TrainData": "Data"},
        workspace_name="toy",
        root=str(workspace),
        python_modules=python_modules,
    )


def write(workspace: Path) -> Path:
    path = workspace / ".excore" / "index.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(index_to_json(build(workspace)), indent=1), encoding="utf-8")
    return path
