"""Benchmark ``excore-ls`` side by side with tombi (and taplo, and a bare pygls server).

A generated workspace (default: a 3,000-line config over a 1,000-class index, written into a
temporary folder with the real index format and the equivalent JSON Schema for the generic TOML
servers) is opened in each server in turn; every server gets the same document and the same
requests at the same positions. Measured:

- spawn → ``initialize`` response (median over a few spawns; a bare pygls 2 server as baseline);
- ``didOpen`` → first ``publishDiagnostics`` for the document, in each of those fresh
  processes (median, fastest, slowest);
- completion p50/p95 on the unchanged document, at a value position (``"@backbone" = "|"``)
  and at a key position (an empty line inside a section); hover p50/p95 on a parameter key;
- completion right after an edit: a ``didChange`` (incremental when the server advertises it,
  else the full text) typing/deleting one character inside ``"@backbone" = "|"``, immediately
  followed by a completion request there; the completion's latency, p50/p95;
- the server's RSS (``/proc/<pid>/status`` VmRSS, with its child processes') after the large
  file is open;
- excore-ls only, in a fresh process: its RSS after the first 1,000 and after 10,000 random
  edits of one 300-line config (``--memory-edits``; target: at most 1.1 times the first), each
  edit a ``didChange``, every other one followed by a completion and every 25th by its
  diagnostics.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ls.py            # full run (< 3 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_ls.py --quick    # smoke check (a few seconds)

Every request has a timeout, every spawned process is ended, only stdio pipes are used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bytecode import compile_project
from _lsp_client import LspClient, LspError

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MIB = 1024 * 1024

# -- the generated workspace -----------------------------------------------------------------

# registry -> (number of classes, class name stem); 1,000 classes in all
REGISTRIES: dict[str, tuple[int, str]] = {
    "Model": (50, "Segmentor"),
    "Backbone": (200, "ResNet"),
    "Neck": (100, "FPN"),
    "Head": (150, "FCNHead"),
    "Block": (150, "ConvBlock"),
    "Transform": (150, "RandomCrop"),
    "Loss": (50, "FocalLoss"),
    "Optimizer": (50, "AdamW"),
    "LRScheduler": (50, "CosineLR"),
    "Data": (50, "SegDataset"),
}
PRIMARY_FIELDS = {
    "Model": "Model",
    "Loss": "Loss",
    "Optimizer": "Optimizer",
    "LRScheduler": "LRScheduler",
    "TrainData": "Data",
    "TestData": "Data",
}
# registries whose sections fill the body of the config (intermediate modules)
BODY_REGISTRIES = ["Backbone", "Neck", "Head", "Block", "Transform"]
CONFIG_NAME = "big.toml"


@dataclass(slots=True)
class Position:
    line: int
    character: int

    def lsp(self) -> dict[str, int]:
        return {"line": self.line, "character": self.character}


@dataclass(slots=True)
class GeneratedWorkspace:
    text: str
    n_classes: int
    value_pos: Position  # between the quotes of '"@backbone" = ""'
    key_pos: Position  # an empty line inside the [Model....] section
    hover_pos: Position  # on a plain parameter key of the same section
    schema: dict[str, Any]
    index_json: dict[str, Any]
    # the same three kinds of position, one per [Backbone.*] section, for requests "in turn"
    # (a server may memoize the answer of a repeated identical request)
    value_positions: list[Position] = field(default_factory=list)  # '"$block" = "|ConvBlock…"'
    key_positions: list[Position] = field(default_factory=list)  # the blank line ending it
    hover_positions: list[Position] = field(default_factory=list)  # inside 'dropout'

    @property
    def n_lines(self) -> int:
        return self.text.count("\n")


def class_name(registry: str, number: int) -> str:
    return f"{REGISTRIES[registry][1]}{number:03d}"


def _base_target(registry: str) -> str:
    return f"gen.{registry.lower()}:{registry}Base"


def _params(registry: str) -> list[Any]:
    from excore.signatures import ParamInfo

    def p(name: str, annotation: str, json_type: list[Any], **kw: Any) -> ParamInfo:
        return ParamInfo(name, "positional", annotation, json_type, **kw)

    common = [
        p("channels", "int", ["integer"], required=True, description="Output channels."),
        p("in_channels", "int", ["integer"], has_default=True, default=3, description="Input."),
        p("dropout", "float", ["number"], has_default=True, default=0.1, description="Dropout."),
        p(
            "norm",
            "Literal['bn', 'gn', 'ln']",
            ["string"],
            has_default=True,
            default="bn",
            literal_values=["bn", "gn", "ln"],
            description="Normalization layer.",
        ),
        p("name", "str", ["string"], has_default=True, default="", description="Display name."),
        p("pretrained", "bool", ["boolean"], has_default=True, default=False, description="Load."),
    ]
    if registry == "Model":
        return [
            p(
                "backbone",
                "BackboneBase",
                [],
                required=True,
                annotation_targets=[_base_target("Backbone")],
                description="The feature extractor.",
            ),
            p(
                "neck",
                "Optional[NeckBase]",
                ["null"],
                has_default=True,
                default=None,
                annotation_targets=[_base_target("Neck")],
                description="Optional feature fusion.",
            ),
            p(
                "head",
                "HeadBase",
                [],
                required=True,
                annotation_targets=[_base_target("Head")],
                description="The prediction head.",
            ),
            p("num_classes", "int", ["integer"], required=True, description="Classes."),
            *common[1:],
        ]
    if registry == "Backbone":
        block = p(
            "block",
            "type[BlockBase]",
            [],
            has_default=True,
            default=None,
            annotation_targets=[_base_target("Block")],
            description="The residual block class.",
        )
        layers = p(
            "layers",
            "list[int]",
            ["array"],
            has_default=True,
            default=[2, 2, 2, 2],
            description="Blocks per stage.",
        )
        return [*common, block, layers]
    if registry == "Head":
        return [*common, p("num_classes", "int", ["integer"], required=True, description="N.")]
    if registry == "Optimizer":
        return [
            p("params", "Iterable[Tensor]", [], required=True, description="What to optimize."),
            p("lr", "float", ["number"], has_default=True, default=0.01, description="Rate."),
            p("momentum", "float", ["number"], has_default=True, default=0.9, description="M."),
        ]
    if registry == "LRScheduler":
        return [
            p("optimizer", "Optimizer", [], required=True, description="The optimizer."),
            p("T_max", "int", ["integer"], has_default=True, default=10, description="Steps."),
        ]
    if registry == "Data":
        return [
            p(
                "transforms",
                "list[TransformBase]",
                ["array"],
                has_default=True,
                default=[],
                annotation_targets=[_base_target("Transform")],
                description="Applied in order.",
            ),
            p("split", "str", ["string"], has_default=True, default="train", description="S."),
            p("num_samples", "int", ["integer"], has_default=True, default=16, description="N."),
        ]
    return common


def generate_index(n_classes: int) -> dict[str, Any]:
    """The index JSON of ``n_classes`` registered classes (spread over the registries)."""
    from excore.schema.index import RegistryInfo, WorkspaceIndex, index_to_json
    from excore.signatures import MemberInfo, ModuleInfo

    scale = n_classes / sum(count for count, _ in REGISTRIES.values())
    registries: dict[str, RegistryInfo] = {}
    for registry, (count, _) in REGISTRIES.items():
        modules: dict[str, ModuleInfo] = {}
        for number in range(max(2, round(count * scale))):
            name = class_name(registry, number)
            params = _params(registry)
            signature = "(" + ", ".join(f"{q.name}: {q.annotation}" for q in params) + ")"
            doc_args = "\n".join(f"    {q.name}: {q.description}" for q in params)
            modules[name] = ModuleInfo(
                name=name,
                registry=registry,
                kind="class",
                target=f"gen.{registry.lower()}:{name}",
                file=f"src/gen/{registry.lower()}.py",
                line=1 + 40 * number,
                signature=signature,
                doc=f"The generated {registry.lower()} number {number}.\n\nArgs:\n{doc_args}",
                summary=f"The generated {registry.lower()} number {number}.",
                params=params,
                bases=[_base_target(registry), "torch.nn.modules.module:Module"],
                members=[
                    MemberInfo("forward", "method", "(self, x)", "Run the module."),
                    MemberInfo("parameters", "method", "(self, recurse=True)", "Parameters."),
                    MemberInfo("out_channels", "property", "", "Output channels."),
                ],
            )
        registries[registry] = RegistryInfo(registry, [], modules)
    index = WorkspaceIndex(registries=registries, fields=dict(PRIMARY_FIELDS), workspace_name="gen")
    return index_to_json(index)


def _config_schema(index_json: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema the generic TOML servers get: ``excore.schema.jsonschema_export`` over
    the same index (the one ``excore schema dump`` writes)."""
    from excore.schema.index import index_from_json
    from excore.schema.jsonschema_export import config_schema

    return config_schema(index_from_json(index_json))


def _module_section(registry: str, number: int, field_name: str, rng: int) -> list[str]:
    name = class_name(registry, number)
    lines = [f"[{field_name}.{name}]"]
    if registry == "Backbone":
        lines.append(f'"$block" = "{class_name("Block", rng % REGISTRIES["Block"][0])}"')
        lines.append(f"layers = [{1 + rng % 3}, 2, {2 + rng % 4}, 2]")
    if registry == "Head":
        lines.append('"&num_classes" = "num_classes"')
    lines += [
        f"channels = {16 * (1 + rng % 8)}",
        f"in_channels = {3 + rng % 5}",
        f"dropout = {0.05 * (rng % 5):.2f}",
        f'norm = "{("bn", "gn", "ln")[rng % 3]}"',
        f'name = "{name.lower()}-{rng}"',
        f"pretrained = {'true' if rng % 2 else 'false'}",
    ]
    return lines


def generate_config(
    n_lines: int, counts: dict[str, int]
) -> tuple[str, Position, Position, Position]:
    """A valid config of about ``n_lines`` lines, except for one value being typed
    (``"@backbone" = ""``) in the ``[Model...]`` section placed in the middle of the file."""
    head = [
        "# Generated by benchmarks/bench_ls.py: a large ExCore config.",
        "num_classes = 19",
        "size = 512",
        "epochs = 80",
        "",
        "[Loss.FocalLoss000]",
        "channels = 1",
        "",
        "[Optimizer.AdamW000]",
        '"@params" = "$Model.parameters()"',
        "lr = 0.001",
        "",
        "[LRScheduler.CosineLR000]",
        '"@optimizer" = "$Optimizer"',
        '"&T_max" = "epochs"',
        "",
        "[TrainData.SegDataset000]",
        f'"!transforms" = ["{class_name("Transform", 0)}", "{class_name("Transform", 1)}"]',
        'split = "train"',
        "",
    ]
    model = [
        f"[Model.{class_name('Model', 0)}]",
        '"@backbone" = ""',
        f'"!neck" = "{class_name("Neck", 0)}"',
        f'"!head" = "{class_name("Head", 0)}"',
        '"&num_classes" = "num_classes"',
        "dropout = 0.2",
        "",  # the key position: an empty line inside the section
        "",
    ]
    # sections grouped by registry (as people write them; tombi flags interleaved tables),
    # round-robin over the registries until the line budget is spent
    per_registry: dict[str, list[list[str]]] = {r: [] for r in BODY_REGISTRIES}
    budget = n_lines - len(head) - len(model)
    used = 0
    step = 0
    while used < budget and step < sum(counts[r] for r in BODY_REGISTRIES):
        registry = BODY_REGISTRIES[step % len(BODY_REGISTRIES)]
        number = len(per_registry[registry])
        step += 1
        if number >= counts[registry]:
            continue
        section = [*_module_section(registry, number, registry, step * 7919), ""]
        per_registry[registry].append(section)
        used += len(section)
    groups = [[line for s in per_registry[r] for line in s] for r in BODY_REGISTRIES]
    middle = len(groups) // 2
    lines = head + [line for g in groups[:middle] for line in g]
    model_at = len(lines)
    lines += model + [line for g in groups[middle:] for line in g]
    value_pos = Position(model_at + 1, len('"@backbone" = "'))
    key_pos = Position(model_at + 6, 0)
    hover_pos = Position(model_at + 5, 2)  # inside "dropout"
    return "\n".join(lines) + "\n", value_pos, key_pos, hover_pos


def generate(n_lines: int, n_classes: int) -> GeneratedWorkspace:
    index_json = generate_index(n_classes)
    counts = {name: len(registry["modules"]) for name, registry in index_json["registries"].items()}
    text, value_pos, key_pos, hover_pos = generate_config(n_lines, counts)
    gen = GeneratedWorkspace(
        text, n_classes, value_pos, key_pos, hover_pos, _config_schema(index_json), index_json
    )
    _section_positions(gen)
    return gen


def _section_positions(gen: GeneratedWorkspace) -> None:
    """Fill the per-section positions of ``gen`` from its text."""
    value_prefix = '"$block" = "'
    in_backbone = False
    for number, line in enumerate(gen.text.split("\n")):
        if line.startswith("["):
            in_backbone = line.startswith("[Backbone.")
        elif not in_backbone:
            continue
        elif line.startswith(value_prefix):
            gen.value_positions.append(Position(number, len(value_prefix)))
        elif line.startswith("dropout ="):
            gen.hover_positions.append(Position(number, 2))
        elif line == "":
            gen.key_positions.append(Position(number, 0))
            in_backbone = False


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string for these paths


def write_workspace(folder: Path, gen: GeneratedWorkspace, kind: str) -> Path:
    """One workspace folder per server (so no server sees another's config files); returns
    the config's path."""
    (folder / "configs").mkdir(parents=True)
    config = folder / "configs" / CONFIG_NAME
    config.write_text(gen.text, encoding="utf-8")
    if kind == "excore":
        fields = "\n".join(f'{k} = "{v}"' for k, v in PRIMARY_FIELDS.items())
        (folder / "excore.toml").write_text(
            f'name = "gen"\nindex_dir = ".excore"\n\n[primary_fields]\n{fields}\n',
            encoding="utf-8",
        )
        (folder / ".excore").mkdir()
        from excore.schema.dump import dump_json  # written as `excore schema dump` writes it

        (folder / ".excore" / "index.json").write_text(dump_json(gen.index_json), encoding="utf-8")
        return config
    schema_path = folder / "config.schema.json"
    schema_path.write_text(json.dumps(gen.schema), encoding="utf-8")
    if kind == "tombi":
        (folder / "tombi.toml").write_text(
            "[[schemas]]\n"
            f"path = {_toml_string(str(schema_path))}\n"
            'include = ["*.toml", "configs/*.toml"]\n',
            encoding="utf-8",
        )
    elif kind == "taplo":
        (folder / ".taplo.toml").write_text(
            'include = ["configs/*.toml"]\n\n'
            "[[rule]]\n"
            'include = ["configs/*.toml"]\n\n'
            "[rule.schema]\n"
            f"path = {_toml_string(schema_path.as_uri())}\n",
            encoding="utf-8",
        )
    return config


BARE_PYGLS = """\
from pygls.lsp.server import LanguageServer

server = LanguageServer("bare-pygls", "0")

if __name__ == "__main__":
    server.start_io()
"""


# -- the servers -----------------------------------------------------------------------------


SPAWN_ONLY = ("bare pygls",)  # baseline: spawn → initialize and open only


@dataclass(slots=True)
class ServerSpec:
    name: str
    kind: str  # workspace kind: "excore", "tombi", "taplo", "bare"
    argv: list[str]
    available: bool
    why_unavailable: str = ""
    configuration: Callable[[dict[str, Any]], Any] | None = None
    session_argv: list[str] | None = None  # for the session only (e.g. under cProfile)


def _taplo_configuration(item: dict[str, Any]) -> Any:
    # Even Better TOML's settings: no schema catalog (no network); the .taplo.toml association
    return {"schema": {"enabled": True, "catalogs": [], "associations": {}, "cache": {}}}


def _taplo_without_lsp(path: str) -> bool:
    """The taplo builds on PyPI and npm leave the language server out: `taplo lsp stdio` then
    exits 1 at once (silently for the PyPI one). Their binary carries this message."""
    try:
        with open(path, "rb") as fh:
            return b"the LSP is not part of this build" in fh.read()
    except OSError:
        return False


def server_specs(tmp: Path, args: argparse.Namespace) -> dict[str, ServerSpec]:
    def tool(explicit: str | None, name: str) -> str | None:
        if explicit:
            return explicit if Path(explicit).exists() else shutil.which(explicit)
        found = VENV_BIN / name
        return str(found) if found.exists() else shutil.which(name)

    specs: dict[str, ServerSpec] = {}
    excore_ls = tool(args.excore_ls, "excore-ls")
    argv = [excore_ls] if excore_ls else [sys.executable, "-m", "excore_ls"]
    specs["excore-ls"] = ServerSpec("excore-ls", "excore", [*argv, "--stdio"], True)
    if args.profile:
        # the session (not the spawn timings) under cProfile; stats written when it exits
        specs["excore-ls"].session_argv = [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(Path(args.profile).resolve()),
            "-m",
            "excore_ls",
            "--stdio",
        ]
    tombi = tool(args.tombi, "tombi")
    specs["tombi"] = ServerSpec(
        "tombi", "tombi", [tombi or "tombi", "lsp", "--offline"], bool(tombi), "tombi not found"
    )
    taplo = tool(args.taplo, "taplo")
    why = "taplo not found"
    taplo_ok = bool(taplo)
    if taplo and _taplo_without_lsp(taplo):
        taplo_ok = False
        why = f"{taplo} is a build without the language server (`taplo lsp` exits 1)"
    specs["taplo"] = ServerSpec(
        "taplo",
        "taplo",
        [taplo or "taplo", "lsp", "stdio"],
        taplo_ok,
        why,
        _taplo_configuration,
    )
    bare = tmp / "bare_pygls_server.py"
    bare.write_text(BARE_PYGLS, encoding="utf-8")
    specs["bare pygls"] = ServerSpec("bare pygls", "bare", [sys.executable, str(bare)], True)
    return specs


# completionList.itemDefaults the client takes (LSP 3.17): what VS Code and Neovim (0.10+) declare,
# but for VS Code's commitCharacters; ``--no-item-defaults`` measures a client without them
ITEM_DEFAULTS = ["editRange", "insertTextFormat", "insertTextMode", "data"]


def client_capabilities() -> dict[str, Any]:
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {
            "configuration": True,
            "workspaceFolders": True,
            "didChangeConfiguration": {"dynamicRegistration": False},
            "didChangeWatchedFiles": {"dynamicRegistration": False},
        },
        "textDocument": {
            "synchronization": {"dynamicRegistration": False, "didSave": True},
            "completion": {
                "completionItem": {
                    "snippetSupport": True,
                    "documentationFormat": ["markdown", "plaintext"],
                    "labelDetailsSupport": True,
                },
                "completionList": {"itemDefaults": list(ITEM_DEFAULTS)},
            },
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "publishDiagnostics": {"relatedInformation": True},
        },
        "window": {"workDoneProgress": False},
    }


def initialize(client: LspClient, root: Path, timeout: float) -> tuple[dict[str, Any], float]:
    """Send ``initialize`` (+ ``initialized``); returns (capabilities, seconds since spawn)."""
    params = {
        "processId": os.getpid(),
        "clientInfo": {"name": "excore-bench", "version": "1"},
        "rootUri": root.as_uri(),
        "rootPath": str(root),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": client_capabilities(),
    }
    result, _ = client.request("initialize", params, timeout=timeout)
    since_spawn = time.perf_counter() - client.spawned_at
    client.notify("initialized", {})
    return (result or {}).get("capabilities", {}), since_spawn


def sync_kind(capabilities: dict[str, Any]) -> int:
    sync = capabilities.get("textDocumentSync")
    if isinstance(sync, int):
        return sync
    if isinstance(sync, dict):
        return int(sync.get("change", 0) or 0)
    return 0


# -- measurements ----------------------------------------------------------------------------


@dataclass(slots=True)
class Settings:
    spawns: int
    requests: int
    edits: int
    warmup: int
    timeout: float
    open_timeout: float
    loop_budget: float  # seconds one latency loop may take (slow servers get fewer samples)
    settle_timeout: float  # after each edit: wait this long at most for its diagnostics


@dataclass
class Result:
    values: dict[str, float | int | str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # failed requests (also in notes)

    def error(self, message: str) -> None:
        self.errors.append(message)
        self.notes.append(message)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def _completion_items(result: Any) -> list[dict[str, Any]]:
    items = result.get("items") if isinstance(result, dict) else result
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _top_label(result: Any) -> str | None:
    """The label an editor would list first (lowest sortText, else label)."""
    items = _completion_items(result)
    if not items:
        return None
    best = min(items, key=lambda item: (str(item.get("sortText", item.get("label", ""))), 0))
    return str(best.get("label"))


def spawn_once(
    spec: ServerSpec, root: Path, settings: Settings, config: Path | None, text: str
) -> tuple[float, float | None]:
    """Start the server, answer its ``initialize``, open ``config`` (when given) and wait for
    its first diagnostics, stop it: (seconds from spawn to the answer, seconds from didOpen to
    the diagnostics)."""
    client = LspClient(
        spec.argv,
        cwd=root,
        stderr_path=root / f"{spec.kind}-stderr.log",
        configuration=spec.configuration,
    )
    try:
        _, since_spawn = initialize(client, root, settings.open_timeout)
        if config is None:
            return since_spawn, None
        return since_spawn, open_and_wait(client, config, text, settings)[0]
    finally:
        client.close()


def open_and_wait(
    client: LspClient, config: Path, text: str, settings: Settings
) -> tuple[float, int]:
    """didOpen ``config``; (seconds until its first publishDiagnostics, diagnostics in it)."""
    uri = config.as_uri()
    mark = len(client.notifications)
    opened = time.perf_counter()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}},
    )
    note = client.wait_notification(
        "textDocument/publishDiagnostics",
        lambda p: isinstance(p, dict) and p.get("uri") == uri,
        after=mark,
        timeout=settings.open_timeout,
    )
    return note.received - opened, len(note.params.get("diagnostics") or [])


def measure_spawns(
    specs: list[ServerSpec],
    roots: dict[str, Path],
    configs: dict[str, Path],
    text: str,
    settings: Settings,
    results: dict[str, Result],
) -> None:
    """spawn → initialize, then open → first diagnostics, of every server in fresh processes,
    interleaved round by round so that a change of the machine's load during the run affects
    all of them alike."""
    times: dict[str, list[float]] = {spec.name: [] for spec in specs}
    opens: dict[str, list[float]] = {spec.name: [] for spec in specs}
    failed: set[str] = set()
    for _ in range(settings.spawns):
        for spec in specs:
            if spec.name in failed:
                continue
            config = configs[spec.name] if spec.kind != "bare" else None
            try:
                init, opened = spawn_once(spec, roots[spec.name], settings, config, text)
            except LspError as exc:
                failed.add(spec.name)
                results[spec.name].error(str(exc))
                _stderr_tail(roots[spec.name] / f"{spec.kind}-stderr.log", results[spec.name])
                continue
            times[spec.name].append(init)
            if opened is not None:
                opens[spec.name].append(opened)
    for spec in specs:
        values = results[spec.name].values
        if times[spec.name]:
            values["spawn_init"] = statistics.median(times[spec.name])
            values["spawn_n"] = len(times[spec.name])
        samples = opens[spec.name]
        if samples:
            values["open_diag"] = statistics.median(samples)
            values["open_diag_range"] = f"{_ms(min(samples))} – {_ms(max(samples))}"


def _stderr_tail(path: Path, result: Result) -> None:
    if path.exists():
        tail = path.read_text(errors="replace").strip().splitlines()[-3:]
        if tail:
            result.notes.append("its stderr ends: " + " | ".join(line.strip() for line in tail))


def measure_session(
    spec: ServerSpec,
    root: Path,
    config: Path,
    gen: GeneratedWorkspace,
    settings: Settings,
    result: Result,
) -> None:
    stderr = root / f"{spec.kind}-stderr.log"
    try:
        client = LspClient(
            spec.session_argv or spec.argv,
            cwd=root,
            stderr_path=stderr,
            configuration=spec.configuration,
        )
    except LspError as exc:
        result.error(str(exc))
        return
    failures = len(result.errors)
    try:
        capabilities, _ = initialize(client, root, settings.open_timeout)
        _session(client, capabilities, config, gen, settings, result)
    except LspError as exc:
        result.error(str(exc))
    finally:
        client.close()
        if len(result.errors) > failures:
            _stderr_tail(stderr, result)


def _session(
    client: LspClient,
    capabilities: dict[str, Any],
    config: Path,
    gen: GeneratedWorkspace,
    settings: Settings,
    result: Result,
) -> None:
    uri = config.as_uri()
    doc = {"textDocument": {"uri": uri}}
    try:
        _, result.values["diag_count"] = open_and_wait(client, config, gen.text, settings)
    except LspError as exc:
        result.error(f"open → diagnostics: {exc}")
    client.drain(0.3)  # let follow-up work (more diagnostics, registrations) settle
    rss = client.rss_bytes()
    if rss is not None:
        result.values["rss"] = rss / MIB

    def latencies(method: str, positions: list[Position], key: str) -> None:
        samples: list[float] = []
        items = 0
        budget_end = time.perf_counter() + settings.loop_budget
        for i in range(settings.warmup + settings.requests):
            if samples and time.perf_counter() > budget_end:
                result.notes.append(
                    f"{method} ({key}): stopped after {len(samples)} requests "
                    f"(time budget {settings.loop_budget:g} s)"
                )
                break
            params = {**doc, "position": positions[i % len(positions)].lsp()}
            answer, seconds = client.request(method, params, timeout=settings.timeout)
            if i == 0:
                result.values[key + "_first"] = seconds
                result.values[key + "_bytes"] = client.last_response_size
                if method.endswith("completion"):
                    items = len(_completion_items(answer))
                    result.values[key + "_incomplete"] = bool(
                        isinstance(answer, dict) and answer.get("isIncomplete")
                    )
                    result.values[key + "_top"] = _top_label(answer)
                else:
                    items = int(bool(answer))
            if i >= settings.warmup:
                samples.append(seconds)
        result.values[key + "_p50"] = percentile(samples, 0.5)
        result.values[key + "_p95"] = percentile(samples, 0.95)
        result.values[key + "_items"] = items

    for method, positions, key in (
        ("textDocument/completion", [gen.value_pos], "cv"),
        ("textDocument/completion", gen.value_positions, "cvt"),
        ("textDocument/completion", [gen.key_pos], "ck"),
        ("textDocument/completion", gen.key_positions, "ckt"),
        ("textDocument/hover", [gen.hover_pos], "hv"),
        ("textDocument/hover", gen.hover_positions, "hvt"),
    ):
        if not positions:
            continue
        try:
            latencies(method, positions, key)
        except LspError as exc:
            where = ", ".join(f"{p.line + 1}:{p.character + 1}" for p in positions[:3])
            result.error(f"{method} at {where}: {exc}")

    try:
        _after_edits(client, capabilities, uri, gen.text, gen.value_pos, settings, result)
    except LspError as exc:
        result.error(f"completion after edit: {exc}")
    rss = client.rss_bytes()
    if rss is not None:
        result.values["rss_end"] = rss / MIB


def _after_edits(
    client: LspClient,
    capabilities: dict[str, Any],
    uri: str,
    text: str,
    pos: Position,
    settings: Settings,
    result: Result,
) -> None:
    """Type 'R' between the quotes, then delete it again, each time a didChange immediately
    followed by a completion at the cursor; the completion's latency is measured."""
    incremental = sync_kind(capabilities) == 2
    result.values["sync"] = "incremental" if incremental else "full"
    lines = text.split("\n")
    base_line = lines[pos.line]
    typed_line = base_line[: pos.character] + "R" + base_line[pos.character :]
    samples: list[float] = []
    diag_delays: list[float] = []
    wait_for_diagnostics = True
    version = 1
    budget_end = time.perf_counter() + 2 * settings.loop_budget
    for i in range(settings.edits):
        if samples and time.perf_counter() > budget_end:
            result.notes.append(
                f"completion after edit: stopped after {len(samples)} edits "
                f"(time budget {2 * settings.loop_budget:g} s)"
            )
            break
        version += 1
        typing = i % 2 == 0
        if incremental:
            start = {"line": pos.line, "character": pos.character}
            if typing:
                change = {"range": {"start": start, "end": start}, "text": "R"}
            else:
                end = {"line": pos.line, "character": pos.character + 1}
                change = {"range": {"start": start, "end": end}, "text": ""}
        else:
            lines[pos.line] = typed_line if typing else base_line
            change = {"text": "\n".join(lines)}
        cursor = {"line": pos.line, "character": pos.character + (1 if typing else 0)}
        mark = len(client.notifications)
        changed = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        _, seconds = client.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": cursor},
            timeout=settings.timeout,
        )
        samples.append(seconds)
        # let the server finish with this edit (its diagnostics) before the next keystroke, so
        # every sample is "an edit on an idle server" and no backlog builds up
        if wait_for_diagnostics:
            try:
                note = client.wait_notification(
                    "textDocument/publishDiagnostics",
                    lambda p: isinstance(p, dict) and p.get("uri") == uri,
                    after=mark,
                    timeout=settings.settle_timeout,
                )
                diag_delays.append(note.received - changed)
            except LspError:
                wait_for_diagnostics = False
                result.notes.append(
                    f"no diagnostics within {settings.settle_timeout:g} s of an edit; "
                    "later edits only wait 50 ms"
                )
        else:
            client.drain(0.05)
    result.values["edit_p50"] = percentile(samples, 0.5)
    result.values["edit_p95"] = percentile(samples, 0.95)
    result.values["edit_n"] = len(samples)
    if diag_delays:
        result.values["edit_diag_p50"] = percentile(diag_delays, 0.5)


MEMORY_LINES = 300  # the config edited by the memory run
MEMORY_TOKENS = ["[", "]", '"', "=", ",", ".", "!", "@", "$", "&", "\n", " ", "x", "1", "0.5",
                 '"!head" = "', "[Model.", "$Model.", "true"]  # fmt: skip


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": len(text[start:offset].encode("utf-16-le")) // 2}


def measure_edit_memory(
    spec: ServerSpec, root: Path, n_classes: int, edits: int, settings: Settings, result: Result
) -> None:
    """RSS of a fresh server after the first tenth of ``edits`` random edits of one config, and
    after all of them: what a long editing session keeps. The edits are seeded (the same every
    run); the text stays within 20% of its first size."""
    gen = generate(MEMORY_LINES, n_classes)
    config = write_workspace(root, gen, spec.kind)
    stderr = root / f"{spec.kind}-memory-stderr.log"
    try:
        client = LspClient(spec.argv, cwd=root, stderr_path=stderr)
    except LspError as exc:
        result.error(str(exc))
        return
    rng = random.Random(13)
    text = gen.text
    uri = config.as_uri()
    first_mark = max(1, edits // 10)
    started = time.perf_counter()
    try:
        initialize(client, root, settings.open_timeout)
        open_and_wait(client, config, text, settings)
        for i in range(1, edits + 1):
            start = rng.randrange(len(text) + 1)
            if len(text) > len(gen.text) * 1.2 or rng.random() < 0.45:
                end, new = min(len(text), start + rng.randint(1, 8)), ""
            else:
                end, new = start, rng.choice(MEMORY_TOKENS)
            change = {
                "range": {"start": _position(text, start), "end": _position(text, end)},
                "text": new,
            }
            text = text[:start] + new + text[end:]
            mark = len(client.notifications)
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": i + 1}, "contentChanges": [change]},
            )
            if i % 2 == 0:
                client.request(
                    "textDocument/completion",
                    {"textDocument": {"uri": uri}, "position": _position(text, start + len(new))},
                    timeout=settings.timeout,
                )
            if i % 25 == 0:
                client.wait_notification(
                    "textDocument/publishDiagnostics",
                    lambda p, v=i + 1: (
                        isinstance(p, dict) and p.get("uri") == uri and p.get("version") == v
                    ),
                    after=mark,
                    timeout=settings.settle_timeout,
                )
                del client.notifications[:]  # the client keeps nothing either
            if i in (first_mark, edits):
                # a request answered: every edit before it was handled
                client.request(
                    "textDocument/hover",
                    {"textDocument": {"uri": uri}, "position": _position(text, 0)},
                    timeout=settings.timeout,
                )
                rss = client.rss_bytes()
                key = "rss_edits_first" if i == first_mark else "rss_edits_last"
                if rss is not None:
                    result.values[key] = rss / MIB
        result.values["memory_edits"] = edits
        result.values["memory_seconds"] = time.perf_counter() - started
    except LspError as exc:
        result.error(f"memory run: {exc}")
        _stderr_tail(stderr, result)
    finally:
        client.close()


def measure_huge(
    spec: ServerSpec, root: Path, n_lines: int, n_classes: int, settings: Settings, result: Result
) -> None:
    """A config of ``n_lines`` lines: open it and ask for completions (positions in turn) until
    its first diagnostics arrive. Their latency is what a user typing while a long check runs
    gets (the check must not block requests). The index has enough classes for one section
    per class (about six lines each)."""
    gen = generate(n_lines, max(n_classes, n_lines // 5))
    config = write_workspace(root, gen, spec.kind)
    stderr = root / f"{spec.kind}-huge-stderr.log"
    try:
        client = LspClient(spec.argv, cwd=root, stderr_path=stderr)
    except LspError as exc:
        result.error(str(exc))
        return
    uri = config.as_uri()
    latencies: list[float] = []
    try:
        initialize(client, root, settings.open_timeout)
        mark = len(client.notifications)
        opened = time.perf_counter()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": gen.text}},
        )

        def published() -> float | None:
            for note in client.notifications[mark:]:
                if (
                    note.method == "textDocument/publishDiagnostics"
                    and note.params.get("uri") == uri
                ):
                    return float(note.received)
            return None

        positions = gen.value_positions or [gen.value_pos]
        n = 0
        while published() is None and time.perf_counter() - opened < 120:
            pos = positions[n % len(positions)]
            n += 1
            _, seconds = client.request(
                "textDocument/completion",
                {"textDocument": {"uri": uri}, "position": pos.lsp()},
                timeout=60,
            )
            latencies.append(seconds)
        done = published()
        if done is None:
            done = client.wait_notification(
                "textDocument/publishDiagnostics",
                lambda p: isinstance(p, dict) and p.get("uri") == uri,
                after=mark,
                timeout=120,
            ).received
        result.values["huge_lines"] = gen.n_lines
        result.values["huge_diag"] = done - opened
        result.values["huge_n"] = len(latencies)
        if latencies:
            result.values["huge_first"] = latencies[0]
            # the first answer also parses the file for the features: the rest is typing
            rest = latencies[1:] or latencies
            result.values["huge_p50"] = percentile(rest, 0.5)
            result.values["huge_max"] = max(rest)
    except LspError as exc:
        result.error(f"huge-config run: {exc}")
        _stderr_tail(stderr, result)
    finally:
        client.close()


# -- the report ------------------------------------------------------------------------------


def _ms(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "n/a"
    ms = value * 1000
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 100:
        return f"{ms:.1f} ms"
    return f"{ms:.0f} ms"


def _mib(value: Any) -> str:
    return f"{value:.1f} MiB" if isinstance(value, (int, float)) else "n/a"


def _kib(value: Any) -> str:
    return f"{value / 1024:.0f} KiB" if isinstance(value, (int, float)) else "n/a"


def _yes(value: Any) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def _code(value: Any) -> str:
    return f"`{value}`" if value else "n/a"


def _plain(value: Any) -> str:
    return "n/a" if value is None else str(value)


def _verdict(value: Any, limit: Any) -> str:
    if limit is None or not isinstance(value, (int, float)):
        return ""
    return " ✓" if value <= limit else " ✗"


def _ratio(a: Any, b: Any) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
        return f"{a / b:.2f}×"
    return ""


_ONE_MS = (_ms, "≤ 1 ms", 0.001, True)  # format, target, limit, ratio of the ≤ 1 ms rows


def report(
    results: dict[str, Result], specs: dict[str, ServerSpec], gen: GeneratedWorkspace, args: Any
) -> str:
    columns = ["excore-ls", "tombi", "taplo"]
    ex = results.get("excore-ls", Result()).values
    tombi = results.get("tombi", Result()).values
    bare = results.get("bare pygls", Result()).values.get("spawn_init")
    bare_limit = bare + 0.050 if isinstance(bare, float) else None
    n_values, n_keys, n_hovers = (
        len(gen.value_positions),
        len(gen.key_positions),
        len(gen.hover_positions),
    )

    rows: list[tuple[str, str, Callable[[Any], str], str, float | None, bool]] = [
        # (label, key, format, target text, target limit for excore-ls, ratio vs tombi)
        (
            "spawn → initialize (median)",
            "spawn_init",
            _ms,
            f"≤ bare pygls + 50 ms = {_ms(bare_limit)}",
            bare_limit,
            True,
        ),
        (
            "open → first publishDiagnostics (median, fresh processes)",
            "open_diag",
            _ms,
            "≤ 100 ms",
            0.100,
            True,
        ),
        ("  fastest – slowest of those", "open_diag_range", _plain, "", None, False),
        ("  diagnostics in that publish", "diag_count", _plain, "", None, False),
        ('completion p50, value, one position (in `"@backbone" = ""`)', "cv_p50", *_ONE_MS),
        ("completion p95, value, one position", "cv_p95", _ms, "", None, True),
        ("  items returned (value)", "cv_items", _plain, "", None, False),
        ("  list marked isIncomplete (value)", "cv_incomplete", _yes, "", None, False),
        ("  answer size (value)", "cv_bytes", _kib, "", None, False),
        ("  listed first (value)", "cv_top", _code, "", None, False),
        (f"completion p50, value, {n_values} positions in turn", "cvt_p50", *_ONE_MS),
        ("completion p95, value, positions in turn", "cvt_p95", _ms, "", None, True),
        ("completion p50, key, one position (empty line)", "ck_p50", *_ONE_MS),
        ("completion p95, key, one position", "ck_p95", _ms, "", None, True),
        ("  items returned (key)", "ck_items", _plain, "", None, False),
        ("  listed first (key)", "ck_top", _code, "", None, False),
        (f"completion p50, key, {n_keys} positions in turn", "ckt_p50", *_ONE_MS),
        ("completion p95, key, positions in turn", "ckt_p95", _ms, "", None, True),
        ("hover p50, parameter key, one position", "hv_p50", *_ONE_MS),
        ("hover p95, parameter key, one position", "hv_p95", _ms, "", None, True),
        (
            "  hover returned content",
            "hv_items",
            lambda v: _plain(bool(v)) if v is not None else "n/a",
            "",
            None,
            False,
        ),
        (f"hover p50, parameter key, {n_hovers} positions in turn", "hvt_p50", *_ONE_MS),
        ("hover p95, parameter key, positions in turn", "hvt_p95", _ms, "", None, True),
        ("first completion after open (cold)", "cv_first", _ms, "", None, True),
        ("completion right after an edit, p50", "edit_p50", _ms, "≤ tombi's", None, True),
        ("completion right after an edit, p95", "edit_p95", _ms, "", None, True),
        ("  didChange sent as", "sync", _plain, "", None, False),
        ("  edits measured", "edit_n", _plain, "", None, False),
        ("didChange → its publishDiagnostics, p50", "edit_diag_p50", _ms, "", None, True),
        ("RSS after opening the file", "rss", _mib, "≤ 80 MiB", 80.0, False),
        ("RSS at the end of the session", "rss_end", _mib, "", None, False),
    ]
    first = ex.get("rss_edits_first")
    n_edits = ex.get("memory_edits") or args.memory_edits
    if n_edits:
        rows += [
            (
                f"RSS after the first {max(1, n_edits // 10):,} random edits "
                f"({MEMORY_LINES}-line config, fresh process)",
                "rss_edits_first",
                _mib,
                "",
                None,
                False,
            ),
            (
                f"RSS after {n_edits:,} random edits",
                "rss_edits_last",
                _mib,
                f"≤ 1.1 × the first = {_mib(first * 1.1 if first else None)}",
                first * 1.1 if isinstance(first, float) else None,
                False,
            ),
        ]
    if ex.get("huge_lines"):
        rows += [
            (
                f"huge config ({ex['huge_lines']:,} lines): open → first diagnostics",
                "huge_diag",
                _ms,
                "",
                None,
                False,
            ),
            (
                "  completion p50 while those diagnostics run (after the first answer)",
                "huge_p50",
                _ms,
                "≤ 50 ms",
                0.050,
                False,
            ),
            ("  slowest of those", "huge_max", _ms, "", None, False),
            (
                "  first completion (parses the file for the features)",
                "huge_first",
                _ms,
                "",
                None,
                False,
            ),
            ("  completions answered while the check ran", "huge_n", _plain, "", None, False),
        ]
    out = []
    out.append(
        f"Workspace: {gen.n_lines:,}-line config, {gen.n_classes:,}-class index "
        f"(JSON Schema for tombi/taplo: {len(json.dumps(gen.schema)) / 1024:.0f} KiB); "
        f"{args.requests} requests per latency (after {settings_warmup(args)} warm-up), "
        f"{args.edits} edits, {args.spawns} spawns per server (interleaved)."
    )
    out.append("")
    out.append(
        "| metric | " + " | ".join(columns) + " | target (excore-ls) | ratio excore-ls / tombi |"
    )
    out.append("|---|" + "---|" * len(columns) + "---|---|")
    for label, key, fmt, target, limit, with_ratio in rows:
        cells = []
        for name in columns:
            spec = specs.get(name)
            if spec is None or not spec.available or name not in results:
                cells.append("—")
                continue
            cells.append(fmt(results[name].values.get(key)))
        value = ex.get(key)
        target_text = target + _verdict(value, limit) if target else ""
        if key == "edit_p50":
            target_text = target + _verdict(value, tombi.get(key) if tombi else None)
        ratio = _ratio(value, tombi.get(key)) if with_ratio else ""
        out.append(f"| {label} | " + " | ".join(cells) + f" | {target_text} | {ratio} |")
    out.append(
        f"| bare pygls 2 server: spawn → initialize (median) | {_ms(bare)} | | | baseline | |"
    )
    notes = [f"- {name}: {note}" for name, result in results.items() for note in result.notes] + [
        f"- {spec.name}: not run ({spec.why_unavailable})"
        for spec in specs.values()
        if not spec.available
    ]
    if notes:
        out.append("")
        out.append("Notes:")
        out += notes
    return "\n".join(out)


def _load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def machine_info(load_before: str, load_after: str) -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    try:
        from importlib.metadata import version as pkg_version

        pygls_version = pkg_version("pygls")
    except ImportError:  # PackageNotFoundError is one
        pygls_version = "?"
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Machine: {os.cpu_count()} cores ({cpu or platform.processor() or '?'}), "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"pygls {pygls_version}; {version([str(VENV_BIN / 'tombi'), '--version'])}; "
        f"{version([str(VENV_BIN / 'taplo'), '--version'])}; date {date}; "
        f"1-min load average {load_before} before the run, {load_after} after "
        "(other processes share the cores: compare columns, not runs)."
    )


def settings_warmup(args: argparse.Namespace) -> int:
    return 2 if args.quick else 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations: a smoke check")
    parser.add_argument("--lines", type=int, default=3000, help="config lines (default 3000)")
    parser.add_argument("--classes", type=int, default=1000, help="index classes (default 1000)")
    parser.add_argument(
        "--servers",
        default="excore-ls,tombi,taplo",
        help="comma-separated: excore-ls, tombi, taplo (the bare pygls baseline always runs)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace")
    parser.add_argument("--excore-ls", help="the excore-ls executable (default: the venv's)")
    parser.add_argument("--tombi", help="the tombi executable (default: the venv's)")
    parser.add_argument("--taplo", help="a taplo executable built with the language server")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the excore-ls session under cProfile and write its stats to FILE "
        "(its latencies then include the profiler's overhead)",
    )
    parser.add_argument(
        "--memory-edits",
        type=int,
        help="random edits of the memory run (default 10000, 2000 with --quick; 0: skip it)",
    )
    parser.add_argument(
        "--no-item-defaults",
        action="store_true",
        help="the client declares no completionList.itemDefaults (each item has its textEdit)",
    )
    parser.add_argument(
        "--huge-lines",
        type=int,
        default=100_000,
        help="lines of the huge config (completion while its diagnostics run; 0: skip it)",
    )
    args = parser.parse_args(argv)
    if args.no_item_defaults:
        ITEM_DEFAULTS.clear()
    if args.memory_edits is None:
        args.memory_edits = 2000 if args.quick else 10_000
    compile_project()
    args.requests = 20 if args.quick else 200
    args.edits = 10 if args.quick else 50
    args.spawns = 2 if args.quick else 7
    settings = Settings(
        spawns=args.spawns,
        requests=args.requests,
        edits=args.edits,
        warmup=settings_warmup(args),
        timeout=10.0,
        open_timeout=15.0 if args.quick else 30.0,
        loop_budget=5.0 if args.quick else 15.0,
        settle_timeout=5.0,
    )
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ("excore-ls", "tombi", "taplo")]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="excore-bench-"))
    try:
        gen = generate(args.lines, args.classes)
        specs = server_specs(tmp, args)
        specs = {
            name: spec for name, spec in specs.items() if name in wanted or name == "bare pygls"
        }
        load_before = _load_average()
        results: dict[str, Result] = {}
        roots: dict[str, Path] = {}
        configs: dict[str, Path] = {}
        runnable = [spec for spec in specs.values() if spec.available]
        for spec in runnable:
            results[spec.name] = Result()
            roots[spec.name] = tmp / spec.name.replace(" ", "_")
            configs[spec.name] = write_workspace(roots[spec.name], gen, spec.kind)
        print("… spawn → initialize", file=sys.stderr, flush=True)
        measure_spawns(runnable, roots, configs, gen.text, settings, results)
        for spec in runnable:
            if spec.name in SPAWN_ONLY or "spawn_init" not in results[spec.name].values:
                continue
            print(f"… {spec.name}", file=sys.stderr, flush=True)
            measure_session(
                spec, roots[spec.name], configs[spec.name], gen, settings, results[spec.name]
            )
        memory_spec = specs.get("excore-ls")
        if args.memory_edits > 0 and memory_spec is not None and memory_spec.available:
            print(f"… excore-ls: {args.memory_edits:,} edits", file=sys.stderr, flush=True)
            measure_edit_memory(
                memory_spec,
                tmp / "memory",
                args.classes,
                args.memory_edits,
                settings,
                results["excore-ls"],
            )
        if args.huge_lines > 0 and memory_spec is not None and memory_spec.available:
            print(f"… excore-ls: {args.huge_lines:,}-line config", file=sys.stderr, flush=True)
            measure_huge(
                memory_spec,
                tmp / "huge",
                args.huge_lines,
                args.classes,
                settings,
                results["excore-ls"],
            )
        print(f"## excore-ls benchmark{' (--quick)' if args.quick else ''}")
        print()
        print(machine_info(load_before, _load_average()))
        print(report(results, specs, gen, args))
        print()
        print(f"Total run time: {time.perf_counter() - started:.0f} s.")
        if args.json:
            raw = {
                "machine": machine_info(load_before, _load_average()),
                "lines": gen.n_lines,
                "classes": gen.n_classes,
                "quick": args.quick,
                "results": {n: {"values": r.values, "notes": r.notes} for n, r in results.items()},
            }
            Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
        if args.profile:
            print(
                f"excore-ls profile: {args.profile} (read it with "
                f"`python -m pstats {args.profile}`, then `sort cumulative`, `stats 40`)"
            )
    finally:
        if args.keep:
            print(f"(workspace kept in {tmp})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
