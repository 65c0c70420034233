"""Completion in every context of the config language."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from excore.config.loader import Leaf
from excore.schema.index import WorkspaceIndex
from excore.signatures import MemberInfo, ModuleInfo, ParamInfo
from excore.syntax.grammar import (
    CLASS_KEY,
    DELETE_KEY,
    MODULE_PREFIXES,
    NO_CALL_KEY,
    PREFIXES,
    parse_reference,
)
from excore_ls.analysis.config import BASE_KEY, ConfigFile, Section
from excore_ls.analysis.context import Context, context_at
from excore_ls.analysis.resolve import (
    fields,
    hooks,
    matches_annotation,
    merged_params,
    python_module_prefix,
    registry_of,
    resolve_reference,
    section_module,
    section_names,
    variables,
)
from excore_ls.analysis.results import Candidate, ItemKind
from excore_ls.analysis.session import FileAnalysis
from excore_ls.features.describe import module_detail, module_markdown, param_detail, param_markdown

LIMIT = 200  # longer lists are filtered by what is typed, cut to the best ones, and incomplete
_CLASSY = re.compile(r"(?:^|[\[\s.,|])([A-Z]\w*)")
_WORD = re.compile(r"\w*")
_BUILTIN_TYPES = {
    "Optional",
    "Union",
    "List",
    "Dict",
    "Tuple",
    "Sequence",
    "Literal",
    "Any",
    "Callable",
}


def complete(fa: FileAnalysis, offset: int, snippets: bool = True) -> list[Candidate]:
    axis = _axis_keys(fa, offset)
    if axis is not None:
        return axis
    return _complete(fa, context_at(fa.config, offset), snippets)[0]


def _axis_keys(fa: FileAnalysis, offset: int) -> list[Candidate] | None:
    """A key of ``[__sweep__.axes]``: the key paths of the resolved config (None elsewhere)."""
    from excore_ls.analysis.sweep import axis_key_context, axis_paths

    ctx = axis_key_context(fa, offset)
    if ctx is None:
        return None
    items = []
    for i, path in enumerate(axis_paths(fa.model, fa)):
        doc = param_markdown(path.param, path.owner) if path.param is not None else ""
        key = f'"{path.path}"'
        bare = bool(ctx.quote) or ctx.has_value
        items.append(
            Candidate(
                path.path,
                "variable" if path.path.startswith("&") else "param",
                ctx.start,
                ctx.end,
                detail=path.detail,
                doc=doc,
                insert=key if bare else f"{key} = [$1]",
                snippet=not bare,
                plain_insert=None if bare else f"{key} = []",
                sort=f"{i:05d}",
                filter=f"{ctx.quote}{path.path}" if ctx.quote else path.path,
            )
        )
    return items


def _complete(fa: FileAnalysis, ctx: Context, snippets: bool) -> tuple[list[Candidate], bool]:
    """(items, already filtered by what is typed)."""
    if ctx.kind == "header":
        items = _header(fa, ctx)
    elif ctx.kind == "key":
        items = _keys(fa, ctx, snippets)
    elif ctx.kind == "string":
        items = _string_value(fa, ctx)
    elif ctx.kind in ("value", "array"):
        items = _bare_value(fa, ctx)
    else:
        items = []
    return items, ctx.filtered


def complete_list(
    fa: FileAnalysis, offset: int, snippets: bool = True
) -> tuple[Sequence[Candidate], bool]:
    """(items, incomplete): at most ``LIMIT`` items, the best-ranked that match what is typed.

    A cut list is marked incomplete so that the editor asks again as the user types (like
    clangd); shorter lists are complete and the editor filters them itself. The lists of module
    names a reference value may take are computed once per index and what they depend on (see
    :func:`_shared_list_key`), and placed at each position they are asked for.
    """
    axis = _axis_keys(fa, offset)
    if axis is not None:
        return _cut(fa.config.text, offset, axis, False)
    ctx = context_at(fa.config, offset)
    key = _shared_list_key(fa, ctx)
    if key is None or fa.index is None:
        return _cut(fa.config.text, offset, *_complete(fa, ctx, snippets))
    shared = _SHARED_LISTS.get(fa.index, key)
    if shared is None:
        items, incomplete = _cut(fa.config.text, offset, *_complete(fa, ctx, snippets))
        if any((c.start, c.end) != (ctx.start, ctx.end) for c in items):
            return items, incomplete
        shared = _SHARED_LISTS.put(fa.index, key, SharedList(items, incomplete))
    return PlacedCandidates(shared, ctx.start, ctx.end), shared.incomplete


def _cut(
    text: str, offset: int, items: list[Candidate], filtered: bool
) -> tuple[list[Candidate], bool]:
    """At most ``LIMIT`` of ``items``: prefix matches of what is typed first, then fuzzy ones."""
    if len(items) <= LIMIT:
        return items, filtered
    typed_at: dict[int, str] = {}
    kept = []
    for i, c in enumerate(items):
        typed = typed_at.get(c.start)
        if typed is None:
            typed = typed_at[c.start] = text[c.start : offset].strip("\"'").lower()
        label = (c.filter or c.label).strip("\"'").lower()
        if _subsequence(typed, label):
            kept.append((not label.startswith(typed), c.sort, i, c))
    kept.sort(key=lambda k: k[:3])
    return [k[3] for k in kept[:LIMIT]], True


def _subsequence(typed: str, label: str) -> bool:
    pos = 0
    for ch in typed:
        pos = label.find(ch, pos)
        if pos == -1:
            return False
        pos += 1
    return True


# -- headers -------------------------------------------------------------------------------------


def _header(fa: FileAnalysis, ctx: Context) -> list[Candidate]:
    index = fa.index
    out: list[Candidate] = []
    close = "" if ctx.header_closed else "]"
    if not ctx.header_parts:
        for name, field_registry in sorted(fields(index).items()):
            out.append(
                Candidate(
                    name,
                    "field",
                    ctx.start,
                    ctx.end,
                    detail=f"field → registry {field_registry}",
                    sort="1",
                )
            )
        if index is not None:
            for reg_name in index.registry_names():
                if reg_name not in fields(index):
                    out.append(
                        Candidate(
                            reg_name,
                            "registry",
                            ctx.start,
                            ctx.end,
                            detail="registry (intermediate modules)",
                            sort="2",
                        )
                    )
            for info in _unique_modules(index):
                if info.kind == "module":
                    continue
                out.append(_module_candidate(info, ctx, sort="3", suffix=close))
        return out
    if len(ctx.header_parts) != 1 or index is None:
        return out
    found_registry = registry_of(index, ctx.header_parts[0])
    if found_registry is None:
        return out
    registry = found_registry
    defined = {
        s.module.name
        for s in fa.config.sections
        if s.module is not None
        and s.field is not None
        and s.field.text == ctx.header_parts[0]
        and s is not ctx.section
    }
    reg = index.registries.get(registry)
    for info in reg.modules.values() if reg else []:
        already = info.name in defined
        item = _module_candidate(info, ctx, sort="7" if already else "1", suffix=close)
        if already:
            item.detail = f"(already defined) {item.detail}"
        out.append(item)
    return out


def _unique_modules(index: WorkspaceIndex, listed: bool = False) -> list[ModuleInfo]:
    """Each registered name once; ``listed``: as far as listing goes (parameters and members
    maybe left out, see ``WorkspaceIndex.listed_modules``)."""
    seen: set[str] = set()
    out = []
    for info in index.listed_modules() if listed else index.modules():
        if info.name not in seen:
            seen.add(info.name)
            out.append(info)
    return out


_KINDS: dict[str, ItemKind] = {
    "class": "class",
    "function": "function",
    "module": "module",
    "hook": "hook",
}


def _kind_of(info: ModuleInfo) -> ItemKind:
    return _KINDS.get(info.kind, "class")


def _module_candidate(
    info: ModuleInfo, ctx: Context, sort: str = "5", suffix: str = ""
) -> Candidate:
    """A module name; its documentation is sent lazily (completionItem/resolve)."""
    return Candidate(
        info.name,
        _kind_of(info),
        ctx.start,
        ctx.end,
        detail=module_detail(info),
        insert=info.name + suffix,
        sort=sort,
        resolve={"module": info.name, "registry": info.registry},
    )


def resolve_documentation(index: WorkspaceIndex | None, data: object) -> str:
    """The markdown documentation of a completion item sent without it."""
    if index is None or not isinstance(data, dict):
        return ""
    name, registry = data.get("module"), data.get("registry")
    if not isinstance(name, str):
        return ""
    info = index.lookup(name, registry if isinstance(registry, str) else None)
    return module_markdown(info) if info is not None else ""


# -- keys ----------------------------------------------------------------------------------------


def _keys(fa: FileAnalysis, ctx: Context, snippets: bool) -> list[Candidate]:
    section = ctx.section
    out: list[Candidate] = []
    if section.is_root:
        if section.param(BASE_KEY) is None:
            out.append(
                _key_candidate(ctx, BASE_KEY, "keyword", "[$1]", '[""]', snippets, "inherit files")
            )
        return out
    info = section_module(fa.index, section)
    present = {p.key.name for p in section.params if p.entry is not ctx.entry}
    if NO_CALL_KEY not in present:
        out.append(
            _key_candidate(
                ctx,
                NO_CALL_KEY,
                "keyword",
                "true",
                "true",
                snippets,
                "return the unbuilt node",
                sort="8",
            )
        )
    if info is None:
        return out
    inherited: set[str] = set()
    if section.module is not None:
        field_name = section.field.text if section.field else ""
        inherited = merged_params(fa, field_name, section.module.name)
    if _typed_prefix(ctx):  # `"!`: only the parameters in that form
        out = []
    for param in info.params:
        if param.kind in ("var_positional", "var_keyword") or param.name in present:
            continue
        out.extend(_param_candidates(ctx, param, snippets, param.name in inherited))
    return out


def _default_text(param: ParamInfo) -> str:
    if not param.has_default or param.default is None or param.default_is_repr:
        return ""
    return toml_literal(param.default)


def toml_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k))} = {toml_literal(v)}" for k, v in value.items())
            + "}"
        )
    return json.dumps(str(value))


def placeholder(param: ParamInfo) -> str:
    """A typed placeholder value for a parameter (used by completion and quick fixes)."""
    default = _default_text(param)
    if default:
        return default
    types = param.json_type
    if param.literal_values:
        return toml_literal(param.literal_values[0])
    if "boolean" in types:
        return "false"
    if "integer" in types:
        return "0"
    if "number" in types:
        return "0.0"
    if "array" in types:
        return "[]"
    if "object" in types:
        return "{}"
    return '""'


def prefers_module(param: ParamInfo) -> bool:
    """A parameter annotated with a class takes a module (``!``/``@``) more likely than a literal."""
    if param.annotation_targets:
        return True
    if set(param.json_type) & {"integer", "number", "string", "boolean", "array", "object"}:
        return False
    names = [n for n in _CLASSY.findall(param.annotation) if n not in _BUILTIN_TYPES]
    return bool(names)


_OPTIONAL = re.compile(r"\A(?:typing\.)?Optional\[(.*)\]\Z")
_CLASS_OBJECT = re.compile(r"\A(?:typing\.|builtins\.|collections\.abc\.)?(?:type|Type|Callable)\b")


def _wants_class_object(annotation: str) -> bool:
    """``type``, ``type[X]``, ``Type[X]``, ``Callable[...]`` (also ``Optional[...]`` of one, or
    ``... | None``): the parameter takes the class or function itself, not an instance."""
    text = annotation.strip()
    m = _OPTIONAL.match(text)
    if m:
        text = m.group(1).strip()
    parts = [p.strip() for p in text.split("|") if p.strip() not in ("None", "")]
    return len(parts) == 1 and bool(_CLASS_OBJECT.match(parts[0]))


def key_prefix(param: ParamInfo) -> str:
    """The prefix a key for ``param`` most likely takes, from its annotation in the index.

    - ``$`` when the annotation is a class object or a callable (``type``, ``type[Block]``,
      ``Callable[..., Tensor]``): the value names a module passed as it is, not called;
    - ``!`` when it names a class (an instance of it: ``nn.Module``, ``Optional[Backbone]``,
      what ``prefers_module`` says): the value names a module that is built;
    - ``""`` otherwise (``int``, ``list[int]``, ``Literal[...]``, no annotation): a literal.

    ``@`` (a shared instance) and ``&`` (a variable) are never guessed: they are offered once
    the user types ``"@`` or ``"&``.
    """
    if _wants_class_object(param.annotation):
        return "$"
    return "!" if prefers_module(param) else ""


def _typed_prefix(ctx: Context) -> str:
    """The prefix typed at the start of the key under the cursor (``"!he`` -> ``!``), or ""."""
    first = ctx.typed[:1]
    return first if first and first in PREFIXES else ""


def _param_candidates(
    ctx: Context, param: ParamInfo, snippets: bool, inherited: bool
) -> list[Candidate]:
    """One item for ``param``: with the prefix typed after a quote (``"@``), that form; else the
    form ``key_prefix`` chooses from the annotation."""
    prefix = _typed_prefix(ctx) or key_prefix(param)
    detail = param_detail(param) + ("  (inherited)" if inherited else "")
    doc = param_markdown(param)
    sort = "1a" if param.required else "2a"
    if prefix:
        label = f'"{prefix}{param.name}"'
        return [_key_candidate(ctx, label, "param", '"$1"', '""', snippets, detail, doc, sort=sort)]
    default = _default_text(param)
    value_snippet = f"${{1:{_escape_snippet(default)}}}" if default else "$1"
    return [
        _key_candidate(
            ctx,
            param.name,
            "param",
            value_snippet,
            default or placeholder(param),
            snippets,
            detail,
            doc,
            sort=sort,
        )
    ]


def _escape_snippet(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _key_candidate(
    ctx: Context,
    label: str,
    kind: ItemKind,
    value_snippet: str,
    value_plain: str,
    snippets: bool,
    detail: str,
    doc: str = "",
    sort: str = "5",
) -> Candidate:
    start = ctx.start
    end = ctx.end
    if ctx.has_value:
        insert, plain, is_snippet = label, label, False
    else:
        insert = f"{label} = {value_snippet}"
        plain = f"{label} = {value_plain}"
        is_snippet = snippets
    return Candidate(
        label,
        kind,
        start,
        end,
        detail=detail,
        doc=doc,
        insert=insert if is_snippet else plain,
        snippet=is_snippet,
        plain_insert=plain,
        sort=sort,
        filter=_key_filter(ctx, label),
    )


def _key_filter(ctx: Context, label: str) -> str:
    """The text the editor matches what is typed against: with the quote when one was typed
    (``"base`` matches ``"base_channels``), without it for an unquoted ``!na``, and the bare
    name when only a name is typed (``ac`` matches ``"!act"``)."""
    quoted = label[:1] == '"'
    if ctx.quote and not quoted:
        return ctx.quote + label
    if not ctx.quote and quoted:
        inner = label[1:-1]
        return inner if _typed_prefix(ctx) else inner.lstrip(PREFIXES)
    return label


# -- values --------------------------------------------------------------------------------------


def _string_value(fa: FileAnalysis, ctx: Context) -> list[Candidate]:
    param = ctx.param
    if param is None:
        return []
    key = param.key
    closing = _closing(ctx)
    if ctx.section.is_root and key.name == BASE_KEY and not key.prefix:
        return _base_paths(fa.config, ctx)
    if ctx.section.is_root and key.name == DELETE_KEY and not key.prefix:
        return _delete_paths(fa, ctx, closing)
    if key.name == CLASS_KEY and not key.prefix:
        return _class_values(fa, ctx, closing)
    if key.prefix == "&":
        return _variable_values(fa, ctx, closing)
    if _is_reference_key(key.prefix):
        return _reference_values(fa, ctx, closing)
    return _literal_values(fa, ctx, quoted=True)


def _closing(ctx: Context) -> str:
    """The quote to add after an inserted value: none when the string is already closed."""
    return "" if ctx.string is None or ctx.string.closed else '"'


def _is_reference_key(prefix: str) -> bool:
    return prefix in MODULE_PREFIXES


def _bare_value(fa: FileAnalysis, ctx: Context) -> list[Candidate]:
    param = ctx.param
    if param is None:
        return []
    key = param.key
    if _is_reference_key(key.prefix):
        names = _reference_names(fa, ctx, ctx.section, key.name)
        return [
            Candidate(
                f'"{c.label}"',
                c.kind,
                ctx.start,
                ctx.end,
                c.detail,
                c.doc,
                insert=f'"{c.label}"',
                sort=c.sort,
            )
            for c in names
        ]
    if key.prefix == "&":
        return [
            Candidate(f'"{name}"', "variable", ctx.start, ctx.end, detail=_short(fa, leaf))
            for name, leaf in variables(fa).items()
        ]
    return _literal_values(fa, ctx, quoted=False)


def _literal_values(fa: FileAnalysis, ctx: Context, quoted: bool) -> list[Candidate]:
    param = ctx.param
    if param is None:
        return []
    info = section_module(fa.index, ctx.section)
    p = info.param(param.key.name) if info is not None else None
    if p is None:
        return []
    out: list[Candidate] = []
    if p.literal_values:
        for value in p.literal_values:
            if quoted:
                if isinstance(value, str):
                    out.append(Candidate(value, "value", ctx.start, ctx.end, detail=p.annotation))
            else:
                text = toml_literal(value)
                out.append(Candidate(text, "value", ctx.start, ctx.end, detail=p.annotation))
        return out
    if not quoted and ("boolean" in p.json_type or p.annotation in ("bool", "Optional[bool]")):
        for text in ("true", "false"):
            out.append(Candidate(text, "value", ctx.start, ctx.end, detail="bool"))
    return out


def _short(fa: FileAnalysis, leaf: Leaf) -> str:
    """A variable's value as written in the file the engine read it from."""
    src = fa.source_file(leaf.file)
    if src is None:
        return ""
    text = src.text[leaf.value.start : leaf.value.end]
    return text if len(text) <= 60 else text[:57] + "..."


_EXPR_WORD = re.compile(r"[A-Za-z_][\w.]*\Z|\Z")


def _delete_paths(fa: FileAnalysis, ctx: Context, closing: str) -> list[Candidate]:
    """``__delete__`` items: the key paths the bases define (tables first, three levels)."""
    from excore.config.loader import deletable_paths
    from excore.config.origins import bases_tree

    merged = bases_tree(fa.merged, fa.read_text)
    if merged is None:
        return []
    return [
        Candidate(
            path,
            "field" if "." not in path else "property",
            ctx.start,
            ctx.end,
            detail="defined by the bases",
            insert=path + closing,
        )
        for path in deletable_paths(merged)
    ]


def _class_values(fa: FileAnalysis, ctx: Context, closing: str) -> list[Candidate]:
    """``__class__`` values: registered names (classes and functions)."""
    index = fa.index
    if index is None:
        return []
    return [
        Candidate(
            info.name,
            _kind_of(info),
            ctx.start,
            ctx.end,
            detail=info.registry,
            insert=info.name + closing,
        )
        for info in _unique_modules(index)
        if info.kind != "module"
    ]


def _expression_values(fa: FileAnalysis, ctx: Context, word: str) -> list[Candidate]:
    """Inside an expression: the word under the cursor completed as a variable, a function or
    (after a dot) a key of the resolved config."""
    from excore.config.loader import Section as TreeSection
    from excore.syntax.expr import FUNCTIONS

    start = ctx.offset - len(word)
    rest = fa.config.text[ctx.offset : ctx.end]
    tail = _WORD.match(rest)
    end = ctx.offset + (tail.end() if tail else 0)
    if "." in word:
        parts = word.split(".")[:-1]
        section: TreeSection | None = fa.model.loaded.root
        for part in parts:
            node = section.items.get(part) if section is not None else None
            section = node if isinstance(node, TreeSection) else None
        if section is None:
            return []
        prefix = ".".join(parts) + "."
        return [
            Candidate(
                prefix + key.lstrip("&"),
                "property",
                start,
                end,
                insert=prefix + key.lstrip("&"),
                filter=prefix + key.lstrip("&"),
                detail="key of the resolved config",
            )
            for key, node in sorted(section.items.items())
            if key[:1] not in MODULE_PREFIXES
        ]
    out = [
        Candidate(name, "variable", start, end, detail=f"= {_short(fa, leaf)}", insert=name)
        for name, leaf in sorted(variables(fa).items())
    ]
    out += [
        Candidate(name, "function", start, end, detail="expression function", insert=name + "(")
        for name in FUNCTIONS
    ]
    return out


def _variable_values(fa: FileAnalysis, ctx: Context, closing: str) -> list[Candidate]:
    typed = ctx.typed
    env_open = typed.rfind("${")
    in_env = env_open != -1 and "}" not in typed[env_open:]
    word_match = _EXPR_WORD.search(typed)
    expr_word = word_match.group() if word_match else ""
    if not in_env and (typed != expr_word or "." in expr_word):
        return _expression_values(fa, ctx, expr_word)  # inside an expression: the word there
    if in_env:
        start = ctx.start + env_open + 2
        rest = fa.config.text[ctx.offset : ctx.end]
        close = "" if rest.startswith("}") else "}"
        word = _WORD.match(rest)
        end = ctx.offset + (word.end() if word else 0)
        return [
            Candidate(
                name,
                "env",
                start,
                end,
                detail="environment variable",
                doc=f"`{name}` = `{_clip(value)}`",
                insert=name + close,
            )
            for name, value in sorted(os.environ.items())
        ]
    out = []
    for name, leaf in sorted(variables(fa).items()):
        where = Path(fa.file_key(leaf.file)).name
        src = fa.source_file(leaf.file)
        line = src.lines.position(leaf.key.start)[0] + 1 if src is not None else 0
        out.append(
            Candidate(
                name,
                "variable",
                ctx.start,
                ctx.end,
                detail=f"= {_short(fa, leaf)}",
                doc=f"defined in `{where}` line {line}",
                insert=name + closing,
            )
        )
    from excore.syntax.expr import FUNCTIONS

    out += [
        Candidate(
            name,
            "function",
            ctx.start,
            ctx.end,
            detail="expression function",
            insert=name + "(",
            sort="7",
        )
        for name in FUNCTIONS
    ]
    if not typed:
        out.append(
            Candidate(
                "${ENV}",
                "snippet",
                ctx.start,
                ctx.end,
                detail="environment variable",
                insert="${",
                sort="9",
            )
        )
    return out


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


_ReferenceForm = Literal["hooks", "field_members", "members", "fields_and_names", "names"]


def _reference_form(typed: str) -> _ReferenceForm:
    """What a ``!``/``@``/``$`` string value offers, from what is typed in it."""
    if typed.rfind("@") > 0:  # "@" after a reference: its hook
        return "hooks"
    if typed.startswith("$") and "::" in typed:
        return "field_members"
    if "." in typed:
        return "members"
    if typed.startswith("$"):
        return "fields_and_names"
    return "names"


def _reference_values(fa: FileAnalysis, ctx: Context, closing: str) -> list[Candidate]:
    typed = ctx.typed
    index = fa.index
    assert ctx.param is not None
    key_name = ctx.param.key.name
    rest_end = ctx.end
    form = _reference_form(typed)
    if form == "hooks":
        start = ctx.start + typed.rfind("@") + 1
        return [
            Candidate(
                info.name,
                "hook",
                start,
                rest_end,
                module_detail(info),
                module_markdown(info),
                insert=info.name + closing,
            )
            for info in hooks(index)
        ]
    if form == "field_members":
        field_name, _, _member = typed[1:].partition("::")
        start = ctx.start + len(field_name) + 3
        return _field_members(fa, ctx, field_name, start, closing)
    if form == "members":
        return _members(fa, ctx, typed, closing)
    if form == "fields_and_names":
        out = []
        for name, registry in sorted(fields(index).items()):
            out.append(
                Candidate(
                    f"${name}",
                    "field",
                    ctx.start,
                    rest_end,
                    detail=f"the object built for field {name} (registry {registry})",
                    insert=f"${name}" + closing,
                    sort="1",
                )
            )
        for item in _reference_names(fa, ctx, ctx.section, key_name):
            item.label = "$" + item.label
            item.insert = item.label + closing
            item.filter = item.label
            out.append(item)
        return out
    items = _reference_names(fa, ctx, ctx.section, key_name)
    for item in items:
        item.insert = item.label + closing
    return items


def _reference_names(
    fa: FileAnalysis, ctx: Context, section: Section, key_name: str
) -> list[Candidate]:
    """Module names a ``!``/``@``/``$`` value may name, ranked by the parameter's annotation."""
    index = fa.index
    targets = _annotation_targets(index, section, key_name)
    out = [
        Candidate(name, "class", ctx.start, ctx.end, detail=detail, sort="3")
        for name, detail in _unregistered_sections(fa)
    ]
    if index is None:
        return out
    seen = {c.label for c in out}
    ranked = _ranked_modules(index, targets)
    if len(ranked) > LIMIT:  # keep the best matches of what is typed; the list is incomplete
        ranked = _best_matches(ranked, ctx.typed.lstrip("$\"'").lower(), LIMIT + 1)
        ctx.filtered = True
    for name, kind, detail, sort, resolve, _lower in ranked:
        if name not in seen:
            out.append(
                Candidate(
                    name,
                    kind,
                    ctx.start,
                    ctx.end,
                    detail=detail,
                    sort=sort,
                    insert=name,
                    resolve=resolve,
                )
            )
    return out


def _annotation_targets(
    index: WorkspaceIndex | None, section: Section, key_name: str
) -> tuple[str, ...]:
    """The classes the annotation of the section's parameter ``key_name`` names."""
    info = section_module(index, section)
    p = info.param(key_name) if info is not None else None
    return tuple(p.annotation_targets) if p is not None else ()


def _best_matches(ranked: list[_RankedModule], typed: str, limit: int) -> list[_RankedModule]:
    """Up to ``limit`` names matching ``typed``: prefix matches first, then fuzzy ones, each in
    rank order (``ranked`` is sorted by rank)."""
    if not typed:  # every name matches
        return ranked[:limit]
    prefix = [m for m in ranked if m[5].startswith(typed)][:limit]
    if len(prefix) >= limit:
        return prefix
    fuzzy = [m for m in ranked if not m[5].startswith(typed) and _subsequence(typed, m[5])]
    return prefix + fuzzy[: limit - len(prefix)]


def _unregistered_sections(fa: FileAnalysis) -> list[tuple[str, str]]:
    """(name, detail) of the modules defined in sections of the family but not registered."""
    index = fa.index
    cached = fa.memo.get("unregistered")
    if isinstance(cached, tuple) and cached[0] is index:  # the index may be re-read meanwhile
        return cached[1]
    registered = _registered_names(index) if index is not None else frozenset()
    names: dict[str, str] = {}
    for s in section_names(fa):
        if not s.table or s.name in names or s.name in registered:
            continue
        names[s.name] = f"section [{s.header}]"
    found = list(names.items())
    fa.memo["unregistered"] = (index, found)
    return found


_REGISTERED: dict[int, tuple[WorkspaceIndex, frozenset[str]]] = {}


def _registered_names(index: WorkspaceIndex) -> frozenset[str]:
    """Every registered name of the index (computed once per index)."""
    hit = _REGISTERED.get(id(index))
    if hit is not None and hit[0] is index:
        return hit[1]
    names = frozenset(index.names())
    _REGISTERED.clear()
    _REGISTERED[id(index)] = (index, names)
    return names


_RankedModule = tuple[str, ItemKind, str, str, dict[str, str], str]  # ..., lower-case name
_RANKED: dict[tuple[int, tuple[str, ...]], tuple[WorkspaceIndex, list[_RankedModule]]] = {}


def _ranked_modules(index: WorkspaceIndex, targets: tuple[str, ...]) -> list[_RankedModule]:
    """Every registered name (hooks aside) with its detail and rank for these annotation
    targets; computed once per index and annotation."""
    key = (id(index), targets)
    hit = _RANKED.get(key)
    if hit is not None and hit[0] is index:
        return hit[1]
    out: list[_RankedModule] = []
    for module in _unique_modules(index, listed=True):
        if module.kind == "hook":
            continue
        match = matches_annotation(module, list(targets))
        sort = "1" if match else ("6" if targets else "4")
        resolve = {"module": module.name, "registry": module.registry}
        out.append(
            (
                module.name,
                _kind_of(module),
                module_detail(module),
                sort,
                resolve,
                module.name.lower(),
            )
        )
    out.sort(key=lambda m: m[3])  # by rank (stable: index order within a rank)
    for stale in [k for k, v in _RANKED.items() if v[0] is not index]:
        del _RANKED[stale]
    _RANKED[key] = (index, out)
    return out


def _field_members(
    fa: FileAnalysis, ctx: Context, field_name: str, start: int, closing: str
) -> list[Candidate]:
    index = fa.index
    out: list[Candidate] = [
        Candidate(
            "*",
            "keyword",
            start,
            ctx.end,
            detail=f"every module of {field_name}",
            sort="9",
            insert="*" + closing,
        )
    ]
    seen: set[str] = set()
    for s in section_names(fa):
        if s.table == field_name and s.name not in seen:
            seen.add(s.name)
            where = Path(fa.file_key(s.file)).name
            out.append(
                Candidate(
                    s.name,
                    "class",
                    start,
                    ctx.end,
                    detail=f"section [{s.header}] in {where}",
                    insert=s.name + closing,
                    sort="1",
                )
            )
    registry = registry_of(index, field_name)
    if index is not None and registry is not None:
        reg = index.registries.get(registry)
        for info in reg.modules.values() if reg else []:
            if info.name not in seen:
                item = _module_candidate(info, ctx, sort="4")
                item.start = start
                item.insert = info.name + closing
                out.append(item)
    return out


def _members(fa: FileAnalysis, ctx: Context, typed: str, closing: str) -> list[Candidate]:
    index = fa.index
    dot = typed.rfind(".")
    start = ctx.start + dot + 1
    head_text = typed[:dot]
    ref = parse_reference(head_text, ctx.start)
    owner: ModuleInfo | None = None
    names = ref.dotted_names
    out: list[Candidate] = []
    if ref.chain and ref.chain[-1].call is not None:
        return out
    p = python_module_prefix(index, names)
    if index is not None and p and p == len(names):
        dotted = ".".join(i.text for i in names)
        owner = index.lookup(dotted)
        if owner is not None:
            out.extend(_member_candidates(owner.members, start, ctx.end, closing))
        for name, info in index.python_modules.items():
            if name.startswith(dotted + ".") and "." not in name[len(dotted) + 1 :]:
                leaf = name[len(dotted) + 1 :]
                if not any(c.label == leaf for c in out):
                    out.append(
                        Candidate(
                            leaf,
                            "module",
                            start,
                            ctx.end,
                            module_detail(info),
                            module_markdown(info),
                            insert=leaf + closing,
                        )
                    )
        return out
    if len(names) == 1 and not ref.chain:
        resolved = resolve_reference(fa, ref)
        owner = resolved.module if resolved is not None else None
    if owner is not None:
        out.extend(_member_candidates(owner.members, start, ctx.end, closing))
    return out


def _member_candidates(
    members: list[MemberInfo], start: int, end: int, closing: str
) -> list[Candidate]:
    out = []
    for m in members:
        is_call = m.kind in ("method", "function")
        insert = m.name + ("()" if is_call else "")
        kind: ItemKind = "method" if is_call else ("class" if m.kind == "class" else "property")
        out.append(
            Candidate(
                insert,
                kind,
                start,
                end,
                detail=m.signature or m.kind,
                doc=m.doc or m.summary,
                insert=insert + closing,
                filter=m.name,
                sort="1" if not m.name.startswith("_") else "9",
            )
        )
    return out


def _base_paths(cfg: ConfigFile, ctx: Context) -> list[Candidate]:
    path = cfg.path
    if path is None:
        return []
    typed = ctx.typed
    slash = typed.rfind("/")
    sub = typed[: slash + 1]
    start = ctx.start + slash + 1
    folder = (path.parent / sub) if sub else path.parent
    out: list[Candidate] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    closing = "" if ctx.string is None or ctx.string.closed else '"'
    if sub == "" or sub.endswith("../") or sub == "./":
        out.append(Candidate("../", "folder", start, ctx.end, insert="../", sort="9"))
    for entry in entries[:500]:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if entry.name in ("__pycache__", "node_modules"):
                continue
            out.append(
                Candidate(
                    entry.name + "/", "folder", start, ctx.end, insert=entry.name + "/", sort="2"
                )
            )
        elif (
            entry.suffix == ".toml"
            and entry.resolve() != path
            and entry.name not in ("excore.toml", "pyproject.toml", ".excore.toml")
        ):
            out.append(
                Candidate(
                    entry.name,
                    "file",
                    start,
                    ctx.end,
                    detail=str(Path(sub) / entry.name),
                    insert=entry.name + closing,
                    sort="1",
                )
            )
    return out


# -- lists shared between positions --------------------------------------------------------------


@dataclass(slots=True, eq=False)
class SharedList:
    """A cut completion list that is the same at every position alike, but for the range all its
    items replace: the module names a reference value may take."""

    items: list[Candidate]
    incomplete: bool
    encoded: dict[object, object] = field(default_factory=dict)  # the converter's, per options


class PlacedCandidates(Sequence[Candidate]):
    """The items of a :class:`SharedList` replacing ``[start, end)``, each made when read."""

    __slots__ = ("end", "shared", "start")

    def __init__(self, shared: SharedList, start: int, end: int) -> None:
        self.shared = shared
        self.start = start
        self.end = end

    @property
    def encoded(self) -> dict[object, object]:
        """Where the converter keeps the JSON of the list, for every placement of it."""
        return self.shared.encoded

    @property
    def unplaced(self) -> Sequence[Candidate]:
        """The items as they were computed (at another range, maybe), not to be changed."""
        return self.shared.items

    def __len__(self) -> int:
        return len(self.shared.items)

    @overload
    def __getitem__(self, i: int) -> Candidate: ...

    @overload
    def __getitem__(self, i: slice) -> list[Candidate]: ...

    def __getitem__(self, i: int | slice) -> Candidate | list[Candidate]:
        if isinstance(i, slice):
            return [self._placed(c) for c in self.shared.items[i]]
        return self._placed(self.shared.items[i])

    def __iter__(self) -> Iterator[Candidate]:
        return (self._placed(c) for c in self.shared.items)

    def _placed(self, c: Candidate) -> Candidate:
        return dataclasses.replace(c, start=self.start, end=self.end)


def _shared_list_key(fa: FileAnalysis, ctx: Context) -> tuple[object, ...] | None:
    """What the list of module names at a reference value depends on, besides the index and the
    range its items replace; None where completion offers anything else."""
    param = ctx.param
    if param is None or not _is_reference_key(param.key.prefix):
        return None
    if ctx.kind == "string":
        form: str = _reference_form(ctx.typed)
        if form not in ("names", "fields_and_names"):
            return None
    elif ctx.kind in ("value", "array"):
        form = "quoted_names"
    else:
        return None
    targets = _annotation_targets(fa.index, ctx.section, param.key.name)
    unregistered = tuple(_unregistered_sections(fa))
    return (form, _closing(ctx), ctx.typed, targets, unregistered)


class _SharedLists:
    """The shared lists of the index last asked about (a re-read index is a new object: the
    lists of the old one are dropped), the most recent ``SIZE`` of them."""

    SIZE = 32

    def __init__(self) -> None:
        self.index: WorkspaceIndex | None = None
        self.lists: dict[tuple[object, ...], SharedList] = {}

    def get(self, index: WorkspaceIndex, key: tuple[object, ...]) -> SharedList | None:
        return self.lists.get(key) if index is self.index else None

    def put(self, index: WorkspaceIndex, key: tuple[object, ...], shared: SharedList) -> SharedList:
        if index is not self.index:
            self.index, self.lists = index, {}
        if len(self.lists) >= self.SIZE:
            del self.lists[next(iter(self.lists))]
        self.lists[key] = shared
        return shared


_SHARED_LISTS = _SharedLists()
