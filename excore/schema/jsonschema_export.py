"""``config.schema.json``: a draft-07 JSON Schema of a workspace's configs, built from the index.

Generic TOML tools (taplo / Even Better TOML, tombi) read it to complete and check ExCore configs
without the ExCore language server. It knows ExCore's keys:

- ``[Field.Name]`` tables (a field is a primary field or any registry name) and top-level
  ``[Name]`` tables (an intermediate module's parameters);
- each parameter under its plain key and its prefixed forms ``"!p"``, ``"@p"``, ``"$p"`` (a module
  reference: a registered name, a list of them, or a ``$Field.chain()`` / ``&var`` / dotted form)
  and ``"&p"`` (a variable name or ``${ENV}`` template), as ``patternProperties``;
- a required parameter is satisfied by any of its forms (``anyOf`` of ``required``); it is only
  required in files without ``__base__`` (``if``/``then``) — a file that inherits may get it
  from its bases;
- ``additionalProperties: false`` unless the target takes ``**kwargs`` (or its signature is
  unknown); integers are ``integer``; defaults and descriptions come from the signatures.

Top-level keys that are not fields or module names are variables: anything is allowed there
(named instances ``[train_tf]`` with ``__class__`` among them). A reference to a named instance
cannot be known from the registries: a snake_case name (``train_tf``) is accepted as one, so a
misspelt registered ``CamelCase`` name is still caught. ``__delete__`` takes key paths; a table
under a field that is not a registered name must give its ``__class__``.
"""

from __future__ import annotations

import re
from typing import Any

from excore.schema.index import WorkspaceIndex
from excore.signatures import ModuleInfo, ParamInfo
from excore.syntax.grammar import (
    BASE_KEY,
    CLASS_KEY,
    DELETE_KEY,
    MODULE_PREFIXES,
    NO_CALL_KEY,
    PREFIXES,
    SWEEP_KEY,
    VALUE_PREFIXES,
)

__all__ = ["REFERENCE_PATTERN", "config_schema"]

# A reference that is not a plain registered name: "$Field...", "&var", a dotted name below a
# registered Python module, a call "(...)", a hook "@Hook", "Field::Name" or a fine-grained "*".
REFERENCE_PATTERN = "^[" + "".join(VALUE_PREFIXES) + r"]|[.(@:*]"  # ECMA-262 syntax
_KEY_PREFIXES = "".join(MODULE_PREFIXES)
_DEFS = "#/definitions/"


def config_schema(index: WorkspaceIndex) -> dict[str, Any]:
    """The JSON Schema (a plain dict, deterministic) of the configs of ``index``'s workspace."""
    definitions: dict[str, Any] = {
        "moduleName": _module_name_schema(index),
        "moduleReference": {
            "description": "A registered name, a list of them, or a reference such as "
            "`$Model.parameters()`, `$Field::Name`, `torch.nn.ReLU(inplace=True)`, `Name@Hook`; "
            'or a table of them (`[Model.Net."$cls"]`: a dict of references).',
            "anyOf": [
                {"$ref": _DEFS + "moduleName"},
                {"type": "array", "items": {"$ref": _DEFS + "moduleName"}},
                {
                    "type": "object",
                    "additionalProperties": {
                        "anyOf": [
                            {"$ref": _DEFS + "moduleName"},
                            {"type": "array", "items": {"$ref": _DEFS + "moduleName"}},
                        ]
                    },
                },
            ],
        },
        "variableReference": {
            "description": "The name of a top-level key (a variable) or a `${ENV}` template.",
            "type": "string",
        },
    }
    modules: dict[str, list[str]] = {}  # registered name -> definition keys
    required_checks: dict[str, Any] = {}
    for registry_name in index.registry_names():
        registry = index.registries[registry_name]
        for name in sorted(registry.modules):
            info = registry.modules[name]
            if info.kind == "module":
                continue
            key = f"{registry_name}.{name}"
            definitions[key] = _module_schema(info)
            modules.setdefault(name, []).append(key)
            required = _required_schema(info)
            if required:
                definitions[key + ".required"] = required
    properties: dict[str, Any] = {
        SWEEP_KEY: _sweep_schema(),
        DELETE_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Key paths of the bases to remove before this file's keys are merged "
            '(e.g. ["LRScheduler", "Model.FCN.head"]).',
        },
        BASE_KEY: {
            "type": "array",
            "items": {"type": "string"},
            "description": "Config files this one inherits (paths relative to this file), "
            "merged left to right, then this file on top.",
        },
    }
    for name, keys in sorted(modules.items()):
        properties[name] = _one_of_definitions(keys, f"Parameters of the module `{name}`.")
        required_keys = [k + ".required" for k in keys if k + ".required" in definitions]
        if len(required_keys) == len(keys) and required_keys:
            required_checks[name] = _one_of_definitions(required_keys, "")
    for field, registry_name in sorted(_fields(index).items()):
        table = _field_schema(index, field, registry_name, definitions)
        properties[field] = table
        field_required = {
            name: {"$ref": _DEFS + f"{registry_name}.{name}.required"}
            for name in sorted(index.registries[registry_name].modules)
            if f"{registry_name}.{name}.required" in definitions
        }
        if field_required:
            required_checks[field] = {
                "type": "object",
                "properties": field_required,
                "additionalProperties": True,
            }
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"ExCore config of workspace {index.workspace_name!r}",
        "description": "Generated by `excore schema dump` from the workspace's registries; "
        "do not edit. Top-level keys other than fields and module names are variables.",
        "type": "object",
        "properties": properties,
        # variables: any other top-level key (explicit, for tombi's strict mode)
        "additionalProperties": True,
        "definitions": definitions,
    }
    if required_checks:
        # Required parameters are only checked in files that inherit nothing: a file with
        # __base__ may get them from its bases. (if/then rather than anyOf: taplo then points
        # at the table that misses a parameter; additionalProperties everywhere for tombi.)
        schema["if"] = {
            "type": "object",
            "not": {"required": [BASE_KEY], "additionalProperties": True},
            "additionalProperties": True,
        }
        schema["then"] = {
            "type": "object",
            "properties": required_checks,
            "additionalProperties": True,
        }
    return schema


def _sweep_schema() -> dict[str, Any]:
    """The ``[__sweep__]`` table (``excore sweep``): its keys and the forms of an axis."""
    from excore.sweep.spec import DIRECTIONS, SAMPLERS

    bounds = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    axis_range = {
        "type": "object",
        "properties": {
            "int": {**bounds, "items": {"type": "integer"}},
            "float": bounds,
            "step": {"type": "number", "exclusiveMinimum": 0},
            "log": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "A sweep over this config (`excore sweep plan|run|show`); ignored by "
        "load and build.",
        "properties": {
            "name": {"type": "string", "description": "The sweep's (and study's) name."},
            "objective": {"type": "string", "description": "The metric each trial reports."},
            "direction": {"enum": list(DIRECTIONS)},
            "sampler": {"enum": list(SAMPLERS)},
            "trials": {"type": "integer", "minimum": 1},
            "seed": {"type": "integer"},
            "axes": {
                "type": "object",
                "description": "Key paths of the resolved config and their values: a list, "
                "{int = [low, high], step} or {float = [low, high], log}.",
                "additionalProperties": {"anyOf": [{"type": "array", "minItems": 1}, axis_range]},
            },
            "constraints": {
                "type": "object",
                "properties": {
                    "expr": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}},
                        ]
                    }
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }


def _fields(index: WorkspaceIndex) -> dict[str, str]:
    """Field name → registry: the primary fields plus every registry name (a section under a
    registry's name defines an intermediate module)."""
    fields = {name: name for name in index.registry_names()}
    for field, registry in (index.primary_fields() or {}).items():
        if registry in index.registries:
            fields[field] = registry
    return fields


def _field_schema(
    index: WorkspaceIndex, field: str, registry_name: str, definitions: dict[str, Any]
) -> dict[str, Any]:
    names = {
        name: {"$ref": _DEFS + f"{registry_name}.{name}"}
        for name in sorted(index.registries[registry_name].modules)
        if f"{registry_name}.{name}" in definitions
    }
    description = (
        f"Modules of the field `{field}` (registry `{registry_name}`)"
        if field != registry_name
        else f"Modules of the registry `{registry_name}`"
    )
    return {
        "type": "object",
        "description": description + ": `[" + field + ".Name]` tables.",
        "properties": names,
        # dotted names below a registered Python module and fine-grained "Name*Config" tables
        "patternProperties": {r"[.*]": {"type": "object", "additionalProperties": True}},
        # any other name: a named instance, which gives its class
        "additionalProperties": {
            "type": "object",
            "required": [CLASS_KEY],
            "additionalProperties": True,
        },
    }


INSTANCE_PATTERN = "^[a-z_][a-z0-9_]*$"  # a named instance's section, e.g. "train_tf"


def _module_name_schema(index: WorkspaceIndex) -> dict[str, Any]:
    names = sorted({name for name in index.names()})
    return {
        "anyOf": [
            {"type": "string", "enum": names},
            {"type": "string", "pattern": REFERENCE_PATTERN},
            {"type": "string", "pattern": INSTANCE_PATTERN},
        ]
    }


def _one_of_definitions(keys: list[str], description: str) -> dict[str, Any]:
    if len(keys) == 1:
        return {"$ref": _DEFS + keys[0]}
    out: dict[str, Any] = {"anyOf": [{"$ref": _DEFS + key} for key in keys]}
    if description:
        out["description"] = description + " (registered in several registries)"
    return out


def _module_schema(info: ModuleInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    for param in info.params:
        if param.kind in ("var_positional", "var_keyword"):
            continue
        properties[param.name] = _value_schema(param)
        name = re.escape(param.name)
        patterns[f"^[{re.escape(_KEY_PREFIXES)}]{name}$"] = {"$ref": _DEFS + "moduleReference"}
        patterns[f"^&{name}$"] = {"$ref": _DEFS + "variableReference"}
    properties[NO_CALL_KEY] = {
        "type": "boolean",
        "description": "Return the unbuilt node instead of calling the target.",
    }
    properties[CLASS_KEY] = {
        "type": "string",
        "description": "The registered class this section configures (a named instance).",
    }
    schema: dict[str, Any] = {
        "type": "object",
        "description": _module_description(info),
        "properties": properties,
        "patternProperties": patterns,
    }
    # explicit either way: tombi's strict mode treats a missing additionalProperties as false
    schema["additionalProperties"] = not info.signature_known or info.accepts_var_keyword
    return schema


def _required_schema(info: ModuleInfo) -> dict[str, Any]:
    alternatives = [
        {"anyOf": [{"required": [prefix + p.name]} for prefix in ("", *PREFIXES)]}
        for p in info.params
        if p.required and p.kind not in ("var_positional", "var_keyword")
    ]
    if not alternatives:
        return {}
    return {"type": "object", "allOf": alternatives, "additionalProperties": True}


def _module_description(info: ModuleInfo) -> str:
    lines = [f"{info.name}{info.signature}" if info.signature else info.name]
    if info.summary:
        lines.append(info.summary)
    lines.append(f"{info.kind} `{info.target}`")
    return "\n\n".join(lines)


def _value_schema(param: ParamInfo) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    types = [t for t in param.json_type if t != "null"]
    literals = [v for v in param.literal_values if v is not None]
    if literals:
        schema["enum"] = literals
    elif len(types) == 1:
        schema["type"] = types[0]
    elif types:
        schema["type"] = types
    if param.has_default and not param.default_is_repr and param.default is not None:
        schema["default"] = param.default
    schema["description"] = _param_description(param)
    return schema


def _param_description(param: ParamInfo) -> str:
    head = f"`{param.name}: {param.annotation}`" if param.annotation else f"`{param.name}`"
    if param.required:
        head += " (required)"
    elif param.has_default:
        shown = param.default if param.default_is_repr else _toml_text(param.default)
        head += f" = `{shown}`"
    return f"{param.description}\n\n{head}" if param.description else head


def _toml_text(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_text(v)}" for k, v in value.items()) + "}"
    return repr(value)
