"""Text shown to the user about registered things: details, markdown docs, signatures."""

from __future__ import annotations

from excore.signatures import MemberInfo, ModuleInfo, ParamInfo


def module_detail(info: ModuleInfo) -> str:
    kind = {"function": "def", "module": "module", "hook": "hook"}.get(info.kind, "class")
    sig = info.signature or ""
    if sig and not sig.startswith("("):
        sig = f" {sig}"
    return f"{info.registry} · {kind} {info.name}{sig}"


def module_markdown(info: ModuleInfo) -> str:
    keyword = "def" if info.kind == "function" else ("module" if info.kind == "module" else "class")
    sig = info.signature if info.kind != "module" else ""
    lines = [f"```python\n{keyword} {info.name}{sig}\n```"]
    where = f"registry `{info.registry}` · `{info.target}`"
    lines.append(where)
    if info.doc:
        lines.append(info.doc.strip())
    elif info.summary:
        lines.append(info.summary.strip())
    return "\n\n".join(lines)


def param_detail(param: ParamInfo) -> str:
    text = param.name
    if param.annotation:
        text += f": {param.annotation}"
    if param.has_default:
        default = param.default if param.default_is_repr else _literal(param.default)
        text += f" = {default}"
    elif param.required:
        text += "  (required)"
    return text


def _literal(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return repr(value)


def param_markdown(param: ParamInfo, owner: ModuleInfo | None = None) -> str:
    lines = [f"```python\n{param_detail(param)}\n```"]
    if owner is not None:
        lines.append(f"parameter of `{owner.name}` ({owner.registry})")
    if param.description:
        lines.append(param.description.strip())
    if param.literal_values:
        lines.append("one of: " + ", ".join(f"`{_literal(v)}`" for v in param.literal_values))
    return "\n\n".join(lines)


def member_markdown(member: MemberInfo, owner: ModuleInfo | None) -> str:
    head = f"{member.name}{member.signature}" if member.signature.startswith("(") else member.name
    lines = [f"```python\n{'def ' if member.kind in ('method', 'function') else ''}{head}\n```"]
    if owner is not None:
        lines.append(f"{member.kind} of `{owner.name}`")
    if member.doc or member.summary:
        lines.append((member.doc or member.summary).strip())
    return "\n\n".join(lines)
