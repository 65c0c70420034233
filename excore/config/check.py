"""The one checker: every problem of a config, from a model and a signature source.

``excore check``, validation before building and the language server all call this, so they
report the same problems (same codes, same offsets). The signature source is live ``inspect`` in
the engine and the workspace index in the server.

For the language server: a document's diagnostics are
``excore.config.family.check_in_context(path, index, family=scan_family(...), read_text=...)``
(it applies the fragment rule, so `excore check` and the server agree on every file), and
navigation resolves references with ``excore.config.model.resolve`` over
``build_model(load_config_files(path, read_text), index)``. Do not re-implement either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

from excore.config.compute import computation_of
from excore.config.envvalue import convert, env_variable, substitute
from excore.config.loader import ReadText, Section, load_config_files
from excore.config.model import (
    FINEGRAINED_HOOK,
    ConfigModel,
    ModuleDef,
    ParamDef,
    RefUse,
    Target,
    bad_prefix_values,
    build_model,
    class_only_modules,
    read_param,
    resolve,
    resolve_axis,
)
from excore.problems import Problem, Related, make_problem
from excore.safety import chain_module_reason, underscore_reason, unsafe_name
from excore.signatures import ModuleInfo, ParamInfo, SignatureSource
from excore.syntax.grammar import (
    OBJECT_PREFIXES,
    EnvRef,
    KeyNode,
    find_env_refs,
    parse_key,
    parse_module_name,
    parse_reference,
)
from excore.syntax.toml import TreeLeaf, Value, ValueKind

if TYPE_CHECKING:
    from excore.sweep.spec import SweepSpec

HOOK_BASE_PARAMS = ("node", "enabled")


def _follow_on(p: Problem) -> bool:
    """What a base file that cannot be found would most likely have given: a variable with no
    close name defined (a close one is a typo), a required parameter, a field's module."""
    if p.code == "undefined-variable":
        return not p.data.get("suggestions")
    return p.code == "missing-param" or bool(p.data.get("context"))


_JSON_TYPE_OF = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


@dataclass(slots=True)
class CheckOptions:
    """How strictly a config is checked."""

    report_missing: bool = True  # False for fragments: files that other configs include
    env: Mapping[str, str] | None = None  # environment for ${VAR}; os.environ when None


@dataclass(slots=True)
class _SignatureFacts:
    """What the checker reads of one parameter list, worked out once: classes that inherit one
    constructor share their parameter list, so they share these too."""

    named: dict[str, ParamInfo]  # positional-or-keyword and keyword parameters, by name
    open_ended: bool  # takes any keyword (or the signature is unknown)
    plain_ok: dict[str, frozenset[str]]  # a plain value of these TOML kinds needs no more check
    required: list[ParamInfo]


_NO_FACTS = _SignatureFacts({}, True, {}, [])
# facts by (id of a parameter list, known, hook), with the list itself (kept alive, compared)
_SHARED_FACTS: dict[tuple[int, bool, bool], tuple[list[ParamInfo], _SignatureFacts]] = {}
_SHARED_FACTS_SIZE = 16384


def check_config(
    path: str | os.PathLike[str],
    source: SignatureSource,
    *,
    read_text: ReadText | None = None,
    env: Mapping[str, str] | None = None,
    report_missing: bool = True,
) -> list[Problem]:
    """Load ``path`` with its bases and return every problem, sorted by file and offset."""
    loaded = load_config_files(path, read_text)
    model = build_model(loaded, source)
    return check_model(model, source, CheckOptions(report_missing, env))


def check_model(
    model: ConfigModel, source: SignatureSource, options: CheckOptions | None = None
) -> list[Problem]:
    options = options or CheckOptions()
    checker = _Checker(model, source, options)
    checker.run()
    return sort_problems(checker.problems)


_KINDS_OF_JSON_TYPE = {
    "integer": ("integer",),
    "number": ("integer", "float"),
    "string": ("string",),
    "boolean": ("boolean",),
    "array": ("array",),
    "object": ("table",),
}
_ALL_KINDS = frozenset(get_args(ValueKind))
_ACCEPTED_KINDS: dict[tuple[str, ...], frozenset[str]] = {}


def _accepted_kinds(spec: ParamInfo) -> frozenset[str]:
    """TOML value kinds that certainly match ``spec.json_type`` (a fast path)."""
    key = tuple(spec.json_type)
    kinds = _ACCEPTED_KINDS.get(key)
    if kinds is None:  # a handful of distinct json_type lists exist: the cache stays small
        kinds = frozenset(k for t in key for k in _KINDS_OF_JSON_TYPE.get(t, ()))
        _ACCEPTED_KINDS[key] = kinds
    return kinds


def _signature_facts(params: list[ParamInfo], known: bool, hook: bool) -> _SignatureFacts:
    named = {p.name: p for p in params if p.kind in ("positional", "keyword")}
    open_ended = not known or any(p.kind == "var_keyword" for p in params)
    plain_ok = {
        name: _accepted_kinds(spec) if spec.json_type else _ALL_KINDS
        for name, spec in named.items()
        if not spec.literal_values and not object_prefix(spec)
    }
    skip = HOOK_BASE_PARAMS if hook else ()
    required = [p for p in named.values() if p.required and p.name not in skip] if known else []
    return _SignatureFacts(named, open_ended, plain_ok, required)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CLASS_ANNOTATION = re.compile(
    r"(?:^|[\[|,(]\s*)(?:typing\.|collections\.abc\.)?(?:type|Type|Callable)(?:\[|\s*\||\s*\]|\s*$)"
)


def object_prefix(spec: ParamInfo) -> str:
    """The prefix a string value of this parameter has most likely lost: ``$`` when the
    annotation takes a class or a callable (``type[...]``, ``Callable``), ``!`` when it takes an
    instance of a class; ``""`` when a plain string may be meant (the annotation accepts ``str``,
    or says nothing)."""
    if "string" in spec.json_type or "any" in spec.json_type or not spec.annotation:
        return ""
    if _CLASS_ANNOTATION.search(spec.annotation):
        return "$"
    if spec.annotation_targets and not spec.json_type:
        return "!"
    return ""


def _did_you_mean(name: str, candidates: list[str]) -> tuple[list[str], str]:
    """Up to three close names, and the hint for the message that names the closest."""
    import difflib  # only when there is a problem to word

    suggestions = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    return suggestions, f" (did you mean '{suggestions[0]}'?)" if suggestions else ""


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By file and offset; in each file a ``base-not-found`` first (it explains the rest)."""
    unique = {
        (p.file, p.code != "base-not-found", p.start, p.end, p.code, p.message): p for p in problems
    }
    return [unique[k] for k in sorted(unique)]


class _Checker:
    def __init__(self, model: ConfigModel, source: SignatureSource, options: CheckOptions) -> None:
        self.model = model
        self.source = source
        self.options = options
        self.env = options.env if options.env is not None else os.environ
        self.problems: list[Problem] = list(model.loaded.problems) + list(model.problems)
        # how each module target is referenced (to find '!' and '@' on one module)
        self.new_uses: dict[int, list[tuple[RefUse, ParamDef]]] = {}
        self.shared_uses: dict[int, list[tuple[RefUse, ParamDef]]] = {}
        self.usage_targets: dict[int, str] = {}
        self.facts: dict[tuple[int, bool, bool], _SignatureFacts] = {}
        self.facts_owners: list[list[ParamInfo]] = []  # keeps the ids of the cache's keys alive
        self.class_only: set[int] = set()  # modules used only as classes ('$'): not built

    def add(
        self,
        code: str,
        message: str,
        file: str,
        start: int,
        end: int,
        key: str = "",
        data: dict[str, object] | None = None,
    ) -> None:
        self.problems.append(make_problem(code, message, file, start, end, key, data))

    def run(self) -> None:
        self.class_only = class_only_modules(self.model, self.source)
        for module in self.model.modules:
            self.check_module(module)
        self.check_reuse()
        self.check_computed()
        if self.model.loaded.sweep is not None:
            self.check_sweep()
        self.drop_follow_ons()

    def check_computed(self) -> None:
        """Top-level computed values, then every problem of the computation (once each)."""
        model = self.model
        if any(key[:1] == "&" for key in model.loaded.root.items):
            computation_of(model, self.options.env).all_top_level()
        if model.computation is not None:
            self.problems.extend(model.computation.problems)

    def drop_follow_ons(self) -> None:
        """A ``__base__`` file that cannot be found would likely have defined the variables,
        parameters and modules that now look missing: those are not separate mistakes, so only
        the ``base-not-found`` problem is reported (it says how many it hides)."""
        missing = [p for p in self.problems if p.code == "base-not-found"]
        if not missing:
            return
        kept = [p for p in self.problems if not _follow_on(p)]
        hidden = len(self.problems) - len(kept)
        if hidden:
            first = missing[0]
            note = f"; {hidden} problem{'s' * (hidden > 1)} that it may cause not shown"
            kept[kept.index(first)] = make_problem(
                first.code,
                first.message + note,
                first.file,
                first.start,
                first.end,
                first.key,
                {**first.data, "hidden": hidden},
            )
        self.problems = kept

    # -- sweeps ----------------------------------------------------------------------------------

    def check_sweep(self) -> None:
        """The ``[__sweep__]`` table: its keys, where each axis lands, and each of its values
        against the annotation of the parameter it replaces (at the value)."""
        from excore.sweep.spec import read_sweep

        table = self.model.loaded.sweep
        assert table is not None
        spec = read_sweep(table, table.file)
        self.problems.extend(spec.problems)
        self.check_constraints(spec)
        for axis in spec.axes:
            target, problem = resolve_axis(self.model, [p.text for p in axis.parts], self.source)
            if problem is not None:
                first, last = axis.parts[problem.start], axis.parts[problem.end - 1]
                self.add(
                    problem.code,
                    problem.message,
                    axis.file,
                    first.start,
                    last.end,
                    axis.key,
                    dict(problem.data),
                )
                continue
            assert target is not None
            if target.kind != "param" or target.module is None:
                continue
            values = (
                [p.value for p in axis.points]
                if axis.kind == "list"
                else [v for v in (axis.low, axis.high) if v is not None]
            )
            part = axis.parts[-1]
            key = parse_key(part.text, part.start)
            table_path = ".".join(target.table)
            for value in values:
                leaf = TreeLeaf(
                    KeyNode(key.prefix, key.name, key.start, key.end, key.name_start),
                    value,
                    axis.file,
                    table_path,
                )
                self.check_axis_value(target.module, read_param(leaf), target.info)

    def check_constraints(self, spec: SweepSpec) -> None:
        """Each constraint parses, and each name it reads is a variable or a path of the config,
        or names an axis by its last key part."""
        from excore.config.compute import Computation
        from excore.config.evaluate import EvalError
        from excore.sweep.plan import axis_names
        from excore.syntax.expr import names_in
        from excore.syntax.grammar import parse_expression

        if not spec.constraints:
            return
        computation = Computation(self.model.loaded.root, self.env)
        shorts = axis_names(spec.axes)
        key = "__sweep__.constraints.expr"
        for value in spec.constraints:
            expression = parse_expression(str(value.data), value.content_start)
            for problem in expression.problems:
                self.add(
                    "bad-expression", problem.message, spec.file, problem.start, problem.end, key
                )
            for name in names_in(expression.root):
                if len(name.parts) == 1 and name.text in shorts:
                    continue
                try:
                    computation._find(name)
                except EvalError as error:
                    message = error.message
                    if len(name.parts) == 1 and shorts:
                        message += f"; the axes' names: {', '.join(sorted(shorts))}"
                    self.add(
                        error.code, message, spec.file, error.start, error.end, key, error.data
                    )

    def check_axis_value(self, module: ModuleDef, param: ParamDef, info: ModuleInfo | None) -> None:
        """One axis value, checked as the parameter it sets (references are not counted as uses
        of their module: a trial uses one value, and ``sweep plan`` checks each trial whole)."""
        saved = self.new_uses, self.shared_uses
        self.new_uses, self.shared_uses = {}, {}
        try:
            self.check_param(module, param, info)
        finally:
            self.new_uses, self.shared_uses = saved

    # -- modules ---------------------------------------------------------------------------------

    def module_info(self, module: ModuleDef) -> ModuleInfo | None:
        info = self.source.lookup(module.lookup_name, module.registry)
        if info is None and ("." in module.lookup_name or module.class_leaf is not None):
            # [Field."torch.nn.Sequential*Hook"]: a member of a Python module registered anywhere
            info = self.source.lookup(module.lookup_name)
        return info

    def check_module(self, module: ModuleDef) -> None:
        start, end = module.name_span
        if self.unsafe_module(module, start, end):
            return
        info = self.module_info(module)
        if module.fine and (info is None or info.kind != "hook"):
            return  # the fine-grained value says the plugin is not enabled (check_fine)
        if info is not None and info.refused:
            self.add(
                "unsafe-reference",
                info.refused,
                module.file,
                start,
                end,
                module.path,
                {"name": module.lookup_name},
            )
            return
        class_leaf = module.class_leaf
        cls_start, cls_end = start, end
        if class_leaf is not None:
            cls_start, cls_end = class_leaf.value.start, class_leaf.value.end  # the class named
            if module.class_name is None:
                self.add(
                    "type-mismatch",
                    "__class__ takes a registered name or a registered module's dotted path",
                    module.file,
                    cls_start,
                    cls_end,
                    class_leaf.path,
                )
                info = None
        if info is None and (class_leaf is None or module.class_name is not None):
            where = f"registry '{module.registry}'" if module.registry else "any registry"
            candidates = list(self.source.names(module.registry))
            suggestions, hint = _did_you_mean(module.lookup_name, candidates)
            self.add(
                "unknown-module" if module.role != "hook" else "unknown-hook",
                f"'{module.lookup_name}' is not registered in {where}{hint}",
                module.file,
                cls_start,
                cls_end,
                module.path,
                {
                    "name": module.lookup_name,
                    "suggestions": suggestions,
                    "header": class_leaf is None,
                },
            )
        elif info is not None and module.role == "hook" and info.kind != "hook":
            self.add(
                "unknown-hook",
                f"'{module.lookup_name}' is not a ConfigArgumentHook subclass",
                module.file,
                start,
                end,
                module.path,
                {"name": module.lookup_name},
            )
        if "*" in module.name:
            info = self.suffix_info(module, info)
        facts = self.facts_of(info) if info is not None else _NO_FACTS
        plain_ok = facts.plain_ok
        for param in module.params.values():
            if not param.prefix:
                # fast path: a plain value whose kind the annotation certainly accepts
                kinds = plain_ok.get(param.name)
                if kinds is not None and param.kind in kinds:
                    continue
            self.check_param(module, param, info)
        for param in module.conflicts:
            self.check_param(module, param, info)
        for key, nested in module.nested.items():
            if info is not None and not self.accepts(info, key):
                self.unknown_param(
                    module, info, key, nested.file, nested.start, nested.end, nested.path
                )
        for key, table in module.ref_tables.items():  # [Model.Net."$cls"]
            section = table.section
            if info is not None and not self.accepts(info, key):
                self.unknown_param(
                    module, info, key, section.file, section.start, section.end, section.path
                )
            for entry in table.entries.values():
                self.check_param(module, entry, None)
            for inner in table.nested:
                self.add(
                    "bad-prefix-value",
                    f"'{table.prefix}{key}' is a table of references: '{inner.path}' is a table, "
                    "not a module name or a list of names",
                    inner.file,
                    inner.start,
                    inner.end,
                    inner.path,
                )
        if (
            info is not None
            and self.options.report_missing
            and not module.no_call
            and id(module) not in self.class_only
        ):
            params, nested_params, tables = module.params, module.nested, module.ref_tables
            missing = [
                p.name
                for p in facts.required
                if p.name not in params and p.name not in nested_params and p.name not in tables
            ]
            if missing:
                names = ", ".join(f"'{m}'" for m in missing)
                plural = "parameters" if len(missing) > 1 else "parameter"
                self.add(
                    "missing-param",
                    f"{module.lookup_name} is missing required {plural} {names}",
                    module.file,
                    start,
                    end,
                    module.path,
                    {"module": module.lookup_name, "missing": missing},
                )

    def unsafe_module(self, module: ModuleDef, start: int, end: int) -> bool:
        """A section named by a dotted path with a name starting with '_' (never looked up)."""
        name = module.lookup_name
        if "." not in name:
            return False
        bad = next((part for part in name.split(".")[1:] if unsafe_name(part)), None)
        if bad is None:
            return False
        self.add(
            "unsafe-reference",
            underscore_reason(bad),
            module.file,
            start,
            end,
            module.path,
            {"name": name},
        )
        return True

    def suffix_info(self, module: ModuleDef, info: ModuleInfo | None) -> ModuleInfo | None:
        """``[Field."Name*Hook"]`` holds the parameters of the hook ``Hook`` (fine-grained)."""
        suffix = parse_module_name(module.name).suffix
        if suffix is None or info is None:
            return info
        hook = self.source.lookup(suffix.text)
        if hook is None or hook.kind != "hook":
            start, end = module.name_span
            self.add(
                "unknown-hook",
                f"'*{suffix.text}' is not a registered hook (is its plugin enabled?)",
                module.file,
                start,
                end,
                module.path,
                {"name": suffix.text},
            )
            return None
        return hook

    def required(self, info: ModuleInfo) -> list[ParamInfo]:
        return self.facts_of(info).required

    def accepts(self, info: ModuleInfo, name: str) -> bool:
        if info.kind == "hook" and name in HOOK_BASE_PARAMS:
            return True
        named, open_ended = self.params_of(info)
        return open_ended or name in named

    def params_of(self, info: ModuleInfo) -> tuple[dict[str, ParamInfo], bool]:
        """Named parameters of ``info`` and whether it takes any keyword."""
        facts = self.facts_of(info)
        return facts.named, facts.open_ended

    def facts_of(self, info: ModuleInfo) -> _SignatureFacts:
        hook = info.kind == "hook"
        key = (id(info.params), info.signature_known, hook)
        facts = self.facts.get(key)
        if facts is None:
            # parameter lists are shared across checks (live descriptions are kept while their
            # object is registered): so are their facts, while that very list is alive
            shared = _SHARED_FACTS.get(key)
            if shared is not None and shared[0] is info.params:
                facts = shared[1]
            else:
                facts = _signature_facts(info.params, info.signature_known, hook)
                if len(_SHARED_FACTS) >= _SHARED_FACTS_SIZE:
                    _SHARED_FACTS.clear()
                _SHARED_FACTS[key] = (info.params, facts)
            self.facts[key] = facts
            self.facts_owners.append(info.params)
        return facts

    def unknown_param(
        self,
        module: ModuleDef,
        info: ModuleInfo,
        name: str,
        file: str,
        start: int,
        end: int,
        path: str,
    ) -> None:
        names = [p.name for p in info.params if p.kind in ("positional", "keyword")]
        suggestions, hint = _did_you_mean(name, names)
        self.add(
            "unknown-param",
            f"{info.name} has no parameter '{name}'{hint}",
            file,
            start,
            end,
            path,
            {"name": name, "suggestions": suggestions, "module": info.name},
        )

    # -- parameters ------------------------------------------------------------------------------

    def check_param(self, module: ModuleDef, param: ParamDef, info: ModuleInfo | None) -> None:
        key = param.leaf.key
        name, prefix = key.name, key.prefix
        spec: ParamInfo | None = None
        if info is not None:
            named, open_ended = self.params_of(info)
            spec = named.get(name)
            if spec is None and not open_ended and not self.accepts(info, name):
                self.unknown_param(module, info, name, param.file, key.start, key.end, param.path)
        if prefix == "":
            if spec is not None and param.kind == "string" and object_prefix(spec):
                self.check_lost_prefix(param, spec, object_prefix(spec))
            elif spec is not None and (spec.json_type or spec.literal_values):
                value = param.leaf.value
                if spec.literal_values or value.kind not in _accepted_kinds(spec):
                    self.check_type(param, spec, value)
            return
        if param.indirect is not None and param.source_value is None:
            var = param.indirect
            root = self.model.loaded.root.items
            suggestions, hint = _did_you_mean(
                var.text, [k for k, v in root.items() if not isinstance(v, Section)]
            )
            self.add(
                "undefined-variable",
                f"'&{var.text}' names no top-level variable of this config{hint}",
                param.file,
                var.start - 1,
                var.end,
                param.path,
                {"name": var.text, "suggestions": suggestions},
            )
        for bad in bad_prefix_values(param):
            expected = (
                "a variable name or '${ENV}' string"
                if prefix == "&"
                else "a module name or a list of names"
            )
            self.add(
                "bad-prefix-value",
                f"'{key.text}' takes {expected}",
                param.file,
                bad.start,
                bad.end,
                param.path,
            )
        if prefix == "&":
            self.check_variable(param, spec)
        else:
            for use in param.refs:
                self.check_reference(param, use)

    def check_type(self, param: ParamDef, spec: ParamInfo, value: Value) -> None:
        if value.kind in ("invalid", "datetime"):
            return
        if not spec.literal_values and value.kind in _accepted_kinds(spec):
            return
        self.check_data_type(param, spec, value.to_python(), value)

    def check_data_type(
        self, param: ParamDef, spec: ParamInfo, data: object, value: Value, note: str = ""
    ) -> None:
        """``data`` (written at ``value``) must match the parameter's annotation."""
        if spec.literal_values:
            if data not in spec.literal_values:
                allowed = ", ".join(repr(v) for v in spec.literal_values)
                self.add(
                    "type-mismatch",
                    f"'{param.name}' must be one of {allowed}, got {data!r}{note}",
                    param.file,
                    value.start,
                    value.end,
                    param.path,
                    {"expected": spec.annotation, "allowed": list(spec.literal_values)},
                )
            return
        expected = [t for t in spec.json_type if t != "any"]
        if not expected or len(expected) != len(spec.json_type):
            return
        actual = _JSON_TYPE_OF.get(type(data), "")
        if not actual or actual in expected or (actual == "integer" and "number" in expected):
            return
        self.add(
            "type-mismatch",
            f"'{param.name}' expects {spec.annotation or ' or '.join(expected)}, got {actual} "
            f"{data!r}{note}",
            param.file,
            value.start,
            value.end,
            param.path,
            {"expected": expected, "actual": actual},
        )

    def check_lost_prefix(self, param: ParamDef, spec: ParamInfo, prefix: str) -> None:
        """``block = "BasicBlock"`` where ``block`` takes a class: the ``$`` is missing (the
        string itself would be passed). For an instance annotation only a string naming a
        module is reported (``!``)."""
        value = param.leaf.value
        text = value.data if isinstance(value.data, str) else ""
        ref = parse_reference(text.strip(), value.content_start)
        named = ref.head is not None and not ref.problems
        if named:
            target, problem = resolve(self.model, ref, self.source)
            named = target is not None and problem is None
        if prefix == "!" and not named:
            return
        key = param.leaf.key
        src = self.model.loaded.files.get(param.file)
        start, end = key.start, key.end
        if src is not None and src.text[start - 1 : start] in ('"', "'"):
            start, end = start - 1, end + 1  # the key's quotes are replaced too
        new_key = f'"{prefix}{key.name}"'
        what = "a class or a callable" if prefix == "$" else "an object"
        doing = f"pass '{text}' itself" if prefix == "$" else f"build '{text}' here"
        hint = f"; to {doing}, write {new_key}" if named else ""
        data: dict[str, object] = {"expected": spec.annotation, "actual": "string"}
        if named:  # the quick fix: the key with the prefix
            data["fix"] = {"title": f"Write {new_key}", "start": start, "end": end, "text": new_key}
        self.add(
            "type-mismatch",
            f"'{param.name}' expects {what} ({spec.annotation}), got the string {text!r}{hint}",
            param.file,
            value.start,
            value.end,
            param.path,
            data,
        )

    def check_variable(self, param: ParamDef, spec: ParamInfo | None = None) -> None:
        var = param.variable
        if var is None:
            return
        if not var.is_template:
            env_leaf = env_variable(self.model, var)
            if env_leaf is not None:
                # a top-level variable read from the environment: `channels = "${CHANNELS}"`
                value = env_leaf.value
                refs = find_env_refs(str(value.data), value.content_start)
                self.check_env(param, spec, refs, value, env_leaf.file, env_leaf.path)
                return
            # a name or an expression: computed (its problems are added by check_computed)
            result = computation_of(self.model, self.options.env).computed(param.leaf)
            if result.ok and spec is not None and (spec.json_type or spec.literal_values):
                self.check_computed_type(param, spec, result.value)
            return
        for problem in var.problems:
            self.add(
                "bad-reference", problem.message, param.file, problem.start, problem.end, param.path
            )
        if not var.problems:
            self.check_env(param, spec, var.env, param.leaf.value, param.file, param.path)

    def check_env(
        self,
        param: ParamDef,
        spec: ParamInfo | None,
        refs: list[EnvRef],
        value: Value,
        file: str,
        path: str,
    ) -> None:
        """Unset variables (without a ``:-`` default), and text the parameter's annotation
        cannot take once substituted."""
        missing = False
        for env_ref in refs:
            if not env_ref.closed or not env_ref.name or not _ENV_NAME.match(env_ref.name):
                return
            if env_ref.default is None and env_ref.name not in self.env:
                missing = True
                self.add(
                    "undefined-env",
                    f"environment variable '{env_ref.name}' is not set",
                    file,
                    env_ref.start,
                    env_ref.end,
                    path,
                    {"name": env_ref.name},
                )
        if missing or spec is None:
            return
        text, _ = substitute(str(value.data), value.content_start, refs, self.env)
        _, why = convert(text, spec)
        if why:
            names = ", ".join(f"${{{r.name}}}" for r in refs)
            self.add(
                "type-mismatch",
                f"'{param.name}' expects {spec.annotation or ' or '.join(spec.json_type)}: "
                f"{why} (from the environment: {names})",
                file,
                value.start,
                value.end,
                path,
                {"expected": spec.annotation, "actual": "string"},
            )

    def check_computed_type(self, param: ParamDef, spec: ParamInfo, data: object) -> None:
        """A computed value must match the parameter's annotation, like a written one."""
        self.check_data_type(param, spec, data, param.leaf.value, " (computed)")

    def check_reference(self, param: ParamDef, use: RefUse) -> None:
        ref = use.ref
        if ref.problems:
            for problem in ref.problems:
                self.add(
                    "bad-reference",
                    problem.message,
                    use.file,
                    problem.start,
                    problem.end,
                    param.path,
                )
            if ref.head is None:
                return
        target, resolve_problem = resolve(self.model, ref, self.source)
        if resolve_problem is not None:
            self.add(
                resolve_problem.code,
                resolve_problem.message,
                use.file,
                resolve_problem.start,
                resolve_problem.end,
                param.path,
                dict(resolve_problem.data),
            )
        if target is not None:
            self.check_chain(param, use, target)
            if ref.fine is None:  # a fine-grained value builds the container's class anew
                self.record_usage(param, use, target)
        if ref.fine is not None:
            self.check_fine(param, use)
        for index, hook in enumerate(ref.hooks):
            group = ref.hook_groups[index] if index < len(ref.hook_groups) else None
            if group is not None and not any(
                m.name == hook.text for m in self.model.groups.get(group.text, [])
            ):
                names = [m.name for m in self.model.groups.get(group.text, [])]
                suggestions, hint = _did_you_mean(hook.text, names)
                where = (
                    f"table '{group.text}' defines no module '{hook.text}'"
                    if group.text in self.model.groups
                    else f"no table '{group.text}' of modules in this config"
                )
                self.add(
                    "unknown-hook",
                    f"{where}{hint}",
                    use.file,
                    group.start,
                    hook.end,
                    param.path,
                    {"name": hook.text, "suggestions": suggestions},
                )
                continue
            info = self.source.lookup(hook.text)
            if info is None or info.kind != "hook":
                hooks = [
                    n
                    for n in self.source.names()
                    if (i := self.source.lookup(n)) is not None and i.kind == "hook"
                ]
                suggestions, hint = _did_you_mean(hook.text, hooks)
                what = (
                    "not a registered hook" if info is None else "not a ConfigArgumentHook subclass"
                )
                self.add(
                    "unknown-hook",
                    f"'{hook.text}' is {what}{hint}",
                    use.file,
                    hook.start,
                    hook.end,
                    param.path,
                    {"name": hook.text, "suggestions": suggestions},
                )

    def check_fine(self, param: ParamDef, use: RefUse) -> None:
        """``Container*$Group::name``: the hook is enabled and the table exists (its
        parameters are checked as the hook's, where the table is)."""
        fine = use.ref.fine
        assert fine is not None
        info = self.source.lookup(FINEGRAINED_HOOK)
        if info is None or info.kind != "hook":
            self.add(
                "unknown-hook",
                "'*' is a fine-grained config, and its plugin is not enabled: call "
                "excore.plugins.finegrained_config.enable_finegrained_config()",
                use.file,
                fine.start,
                fine.start + 1,
                param.path,
                {"name": FINEGRAINED_HOOK},
            )
        if fine.key in self.model.fine:
            return
        shown = "::".join(fine.key)
        where = f"[{'.'.join(fine.key)}]"
        parent: object = self.model.loaded.root
        for part in fine.key[:-1]:
            parent = parent.items.get(part) if isinstance(parent, Section) else None
        tables = (
            [k for k, v in parent.items.items() if isinstance(v, Section)]
            if isinstance(parent, Section)
            else []
        )
        suggestions, _ = _did_you_mean(fine.key[-1], tables)
        hint = ""
        if suggestions:
            meant = "::".join([*fine.key[:-1], suggestions[0]])
            hint = f" (did you mean '{'$' if fine.dollar else ''}{meant}'?)"
        self.add(
            "bad-reference",
            f"'{'$' if fine.dollar else ''}{shown}' names no table of this config; a fine-grained "
            f"value needs the table {where} with the hook's parameters{hint}",
            use.file,
            fine.path[0].start,
            fine.end,
            param.path,
            {"name": shown, "suggestions": suggestions, "context": True},
        )

    def check_chain(self, param: ParamDef, use: RefUse, target: Target) -> None:
        """The first attribute after the head must exist when the class's members are known."""
        info = target.info
        links = use.ref.chain
        skip = target.consumed - 1 if target.kind == "python" else 0
        rest = links[skip:]
        if info is None or not rest or rest[0].attr is None:
            return
        if info.kind == "module":
            return
        members = self.source.members_of(info)
        if not members:
            return
        attr = rest[0].attr
        member = next((m for m in members if m.name == attr.text), None)
        if member is not None and member.kind == "attribute" and member.returns == "module":
            self.add(
                "unsafe-reference",
                chain_module_reason(attr.text),
                use.file,
                attr.start,
                attr.end,
                param.path,
                {"name": attr.text},
            )
        if member is None:
            names = [m.name for m in members]
            suggestions, hint = _did_you_mean(attr.text, names)
            self.add(
                "bad-reference",
                f"{info.name} has no attribute '{attr.text}'{hint}",
                use.file,
                attr.start,
                attr.end,
                param.path,
                {"name": attr.text, "suggestions": suggestions},
            )

    def record_usage(self, param: ParamDef, use: RefUse, target: Target) -> None:
        if (
            target.kind == "implicit"
            and target.info is not None
            and param.prefix in OBJECT_PREFIXES
        ):
            self.check_implicit(param, use, target.info)
        if param.prefix not in OBJECT_PREFIXES or target.kind not in (
            "section",
            "implicit",
            "field",
        ):
            return
        key = id(target.module) if target.module is not None else hash(("implicit", target.name))
        uses = self.new_uses if param.prefix == "!" else self.shared_uses
        found = uses.get(key)
        if found is None:
            uses[key] = [(use, param)]
            self.usage_targets[key] = target.name
        else:
            found.append((use, param))

    def check_implicit(self, param: ParamDef, use: RefUse, info: ModuleInfo) -> None:
        """A registered name without a section is built with its defaults."""
        if not self.options.report_missing or use.ref.chain:
            return
        missing = [p.name for p in self.required(info)]
        head = use.ref.head
        if not missing or head is None:
            return
        names = ", ".join(f"'{m}'" for m in missing)
        self.add(
            "missing-param",
            f"{info.name} has no [{info.name}] section and is missing required parameters {names}",
            use.file,
            head.start,
            head.end,
            param.path,
            {"module": info.name, "missing": missing, "implicit": True},
        )

    def check_reuse(self) -> None:
        for key, new in self.new_uses.items():
            shared = self.shared_uses.get(key)
            if not shared:
                continue
            name = self.usage_targets[key]
            related = []
            for other, other_param in shared:
                other_head = other.ref.head
                assert other_head is not None
                related.append(
                    Related(
                        other.file,
                        other_head.start,
                        other_head.end,
                        f"'{name}' is used as a shared module here ('{other_param.leaf.key.text}')",
                    )
                )
            for use, param in new:
                head = use.ref.head
                assert head is not None
                self.problems.append(
                    make_problem(
                        "reuse-conflict",
                        f"'{name}' is used both as a new module ('!') and as a shared one ('@')",
                        use.file,
                        head.start,
                        head.end,
                        param.path,
                        {"name": name},
                        tuple(related),
                    )
                )
