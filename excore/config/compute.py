"""Computed ``&`` values of a config, in dependency order.

Every ``&`` key — a top-level ``"&total" = "epochs * steps"`` or a module parameter
``"&lr" = "base_lr * batch_size / 256"`` — is evaluated here, once per model, by the engine's
interpreter (:mod:`excore.config.evaluate`). Names are top-level variables (plain or computed);
dotted paths (``Backbone.ResNet.width``) are plain values of the resolved config, computed ones
included. A value is computed when first needed, so the order of keys never matters; a cycle is
one ``variable-cycle`` problem at each member, naming the whole cycle.

The checker reports :attr:`Computation.problems`, the builder reads :meth:`Computation.value`,
and the language server shows :attr:`Computed.value` and :attr:`Computed.operands`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from excore.config.evaluate import EvalError, evaluate
from excore.config.loader import Leaf, Section
from excore.problems import Problem, make_problem
from excore.syntax.expr import Name
from excore.syntax.grammar import MODULE_PREFIXES, VariableValue, parse_variable_value, strip_prefix

_PENDING = object()


@dataclass(slots=True)
class Operand:
    """A name or path an expression read, its value and where that value was written."""

    name: Name
    value: Any
    origin: Leaf | Section | None


@dataclass(slots=True)
class Computed:
    """The outcome of one ``&`` value: ``ok`` and ``value``, or the problem that stopped it."""

    leaf: Leaf
    var: VariableValue
    label: str  # "total" (top level) or "Model.FCN.in_ch"
    ok: bool = False
    value: Any = None
    operands: list[Operand] = field(default_factory=list)
    problem: Problem | None = None


class ComputeError(EvalError):
    """A value could not be computed: ``problem`` says why and where (file and offsets)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code, problem.message, problem.start, problem.end, problem.data)
        self.problem = problem


class _Failed(Exception):
    """A value this one depends on could not be computed (reported there, not here)."""


@dataclass(slots=True)
class _Frame:
    leaf: Leaf
    label: str
    reading: Name | None = None


class Computation:
    """The computed values of one model's merged tree (see the module docstring)."""

    def __init__(self, root: Section, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.results: dict[int, Computed] = {}
        self.problems: list[Problem] = []
        self._stack: list[_Frame] = []
        self._module_paths: set[str] | None = None

    # -- public --------------------------------------------------------------------------------

    def computed(self, leaf: Leaf) -> Computed:
        """The outcome for ``leaf`` (an ``&`` key), computing it (and what it reads) if needed."""
        found = self.results.get(id(leaf))
        if found is not None and found.leaf is leaf:
            return found
        with contextlib.suppress(_Failed):
            self._compute(leaf)
        return self.results[id(leaf)]

    def value(self, leaf: Leaf) -> Any:
        """The value of ``leaf``; raises :class:`ComputeError` when it cannot be computed."""
        result = self.computed(leaf)
        if result.ok:
            return result.value
        problem = result.problem
        if problem is None:  # a value it reads failed: that one's problem explains it
            problem = self.problems[0] if self.problems else None
        if problem is None:
            problem = make_problem("bad-expression", "cannot be computed", leaf.file, 0, 0)
        raise ComputeError(problem)

    def all_top_level(self) -> list[Computed]:
        """Every top-level ``&`` key, computed (sorted by name)."""
        return [
            self.computed(node)
            for key, node in sorted(self.root.items.items())
            if isinstance(node, Leaf) and key.startswith("&")
        ]

    # -- evaluation ----------------------------------------------------------------------------

    def _label(self, leaf: Leaf) -> str:
        return f"{leaf.table_path}.{leaf.key.name}" if leaf.table_path else leaf.key.name

    def _compute(self, leaf: Leaf) -> Any:
        found = self.results.get(id(leaf))
        if found is not None and found.leaf is leaf:
            if found.value is _PENDING:
                self._cycle(leaf)
            if not found.ok:
                raise _Failed
            return found.value
        value_node = leaf.value
        text = value_node.data if value_node.kind == "string" else None
        var = parse_variable_value(text if isinstance(text, str) else "", value_node.content_start)
        result = Computed(leaf, var, self._label(leaf), value=_PENDING)
        self.results[id(leaf)] = result
        if not isinstance(text, str):
            result.value = None
            result.problem = make_problem(
                "bad-prefix-value",
                f"'{leaf.key.text}' takes a variable name, a '${{ENV}}' string or an expression",
                leaf.file,
                value_node.start,
                value_node.end,
                leaf.path,
            )
            raise _Failed
        frame = _Frame(leaf, result.label)
        self._stack.append(frame)
        try:
            if var.is_template and not var.problems:
                value = self._template(var, leaf)
            elif var.problems:
                first = var.problems[0]
                code = "bad-expression" if var.expr is not None else "bad-reference"
                raise EvalError(code, first.message, first.start, first.end)
            elif var.name is not None:
                name = Name([var.name], var.name.start, var.name.end)
                value = self._lookup(name, result)
            else:
                value = evaluate(var.expr, lambda n: self._lookup(n, result), self.env)
        except EvalError as error:
            result.value = None
            result.problem = make_problem(
                error.code, error.message, leaf.file, error.start, error.end, leaf.path, error.data
            )
            self.problems.append(result.problem)
            raise _Failed from None
        except _Failed:
            result.value = None
            raise
        finally:
            self._stack.pop()
        result.ok = True
        result.value = value
        return value

    def _template(self, var: VariableValue, leaf: Leaf) -> str:
        from excore.config.envvalue import substitute

        text, missing = substitute(var.text, var.start, var.env, self.env)
        if missing is not None:
            raise EvalError(
                "undefined-env",
                f"environment variable '{missing.name}' is not set",
                missing.start,
                missing.end,
                {"name": missing.name},
            )
        return text

    def _cycle(self, leaf: Leaf) -> None:
        frames = self._stack
        first = next(i for i, f in enumerate(frames) if f.leaf is leaf)
        members = frames[first:]
        # named from its smallest member, whichever member was computed first
        low = min(range(len(members)), key=lambda i: members[i].label)
        ring = members[low:] + members[:low]
        names = " -> ".join([*(f.label for f in ring), ring[0].label])
        for member in members:
            at = member.reading
            start, end = (at.start, at.end) if at is not None else (0, 0)
            problem = make_problem(
                "variable-cycle",
                f"variable cycle: {names}",
                member.leaf.file,
                start,
                end,
                member.leaf.path,
                {"cycle": [f.label for f in ring]},
            )
            self.problems.append(problem)
            result = self.results[id(member.leaf)]
            result.problem = problem
            result.value = None
        raise _Failed

    def _lookup(self, name: Name, result: Computed) -> Any:
        frame = self._stack[-1]
        frame.reading = name
        node = self._find(name)
        value: Any
        if isinstance(node, Leaf):
            if node.key.prefix == "&":
                value = self._compute(node)
            elif node.key.prefix:
                raise EvalError(
                    "type-mismatch",
                    f"'{name.text}' is a module reference ('{node.key.text}'), not a plain value",
                    name.start,
                    name.end,
                    {"name": name.text},
                )
            else:
                value = self._plain_leaf(node)
        elif isinstance(node, Section):
            if self._is_module(node):
                raise EvalError(
                    "type-mismatch",
                    f"'{name.text}' is a module section, not a plain value",
                    name.start,
                    name.end,
                    {"name": name.text},
                )
            value = self._plain(node)
        else:
            value = node
        result.operands.append(
            Operand(name, value, node if isinstance(node, Leaf | Section) else None)
        )
        return value

    def _plain_leaf(self, leaf: Leaf) -> Any:
        """A plain value; a top-level ``"${ENV}"`` string is read from the environment (as
        text: ``int(channels)`` converts it), as a bare ``&`` name reads it."""
        value = leaf.value.to_python()
        if leaf.table_path or not isinstance(value, str) or "${" not in value:
            return value
        var = parse_variable_value(value, leaf.value.content_start)
        if not var.is_template or var.problems:
            return value
        return self._template(var, leaf)

    def _is_module(self, section: Section) -> bool:
        if self._module_paths is None:
            return False
        return section.path in self._module_paths

    def set_module_paths(self, paths: set[str]) -> None:
        """Tables that are module sections (a path to one is not a plain value)."""
        self._module_paths = paths

    def _find(self, name: Name) -> Leaf | Section | Any:
        """The node a name or dotted path points to; raises EvalError when there is none."""
        parts = name.parts
        section = self.root
        node: Leaf | Section | None = None
        for i, part in enumerate(parts):
            node = section.items.get(part.text)
            if node is None:
                node = section.items.get("&" + part.text)
            if node is None:
                prefixed = next(
                    (
                        n
                        for k, n in section.items.items()
                        if k[1:] == part.text and k[:1] in MODULE_PREFIXES
                    ),
                    None,
                )
                node = prefixed
            if node is None:
                self._undefined(name, i, section)
            if i == len(parts) - 1:
                return node
            if isinstance(node, Section):
                section = node
                continue
            assert node is not None
            if node.key.prefix == "&":
                data = self._compute(node)
            elif node.key.prefix:
                break
            else:
                data = node.value.to_python()
            for j, rest in enumerate(parts[i + 1 :], start=i + 1):
                if not isinstance(data, dict) or rest.text not in data:
                    raise EvalError(
                        "undefined-variable",
                        f"'{'.'.join(p.text for p in parts[: j + 1])}' is not a value of the "
                        "config",
                        name.start,
                        rest.end,
                        {"name": name.text},
                    )
                data = data[rest.text]
            return data
        raise EvalError(
            "type-mismatch",
            f"'{name.text}' goes through a module reference, not a plain value",
            name.start,
            name.end,
            {"name": name.text},
        )

    def _undefined(self, name: Name, index: int, section: Section) -> None:
        import difflib

        part = name.parts[index]
        candidates = sorted(
            {strip_prefix(k) for k in section.items if k[:1] not in MODULE_PREFIXES}
        )
        suggestions = difflib.get_close_matches(part.text, candidates, n=3, cutoff=0.6)
        hint = f" (did you mean '{suggestions[0]}'?)" if suggestions else ""
        if len(name.parts) == 1:
            message = f"variable '{name.text}' is not defined at the top level{hint}"
        else:
            where = ".".join(p.text for p in name.parts[:index]) or "the top level"
            message = (
                f"'{name.text}' is not a value of the config: {where} has no '{part.text}'{hint}"
            )
        raise EvalError(
            "undefined-variable",
            message,
            part.start if len(name.parts) > 1 else name.start,
            part.end if len(name.parts) > 1 else name.end,
            {"name": name.text, "suggestions": suggestions},
        )

    def _plain(self, section: Section) -> dict[str, Any]:
        """A plain table as data, its ``&`` keys computed (under their bare names)."""
        out: dict[str, Any] = {}
        for key, node in section.items.items():
            if isinstance(node, Section):
                out[key] = self._plain(node)
            elif node.key.prefix == "&":
                out[node.key.name] = self._compute(node)
            else:
                out[key] = node.value.to_python()
        return out


def computation_of(model: Any, env: Mapping[str, str] | None = None) -> Computation:
    """The computation of a :class:`~excore.config.model.ConfigModel`, made once per model and
    environment (the checker and the builder of one model share it)."""
    cached = model.computation
    if cached is not None and cached.env is (os.environ if env is None else env):
        return cached
    computation = Computation(model.loaded.root, env)
    computation.set_module_paths({m.path for m in model.modules})
    model.computation = computation
    return computation
