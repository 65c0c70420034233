"""``DictAction``: an argparse action turning ``KEY=VALUE`` words into a nested dict.

    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    # --cfg-options Model.FCN.num_classes=3 Test.data=[0,3] size=(1,2) names=a,b
    cfg = config.load(args.config, update_dict=args.cfg_options)

Dotted keys nest (``a.b=1`` → ``{"a": {"b": 1}}``). A value is an int, a float, ``true`` /
``false`` (any case), ``None``, or else a string; ``[...]`` is a list, ``(...)`` a tuple, and
a comma outside brackets makes a list (``1,2,3``). Brackets nest; quotes around a value are
dropped. Repeated options add to the same dict.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["DictAction", "parse_option_value"]


def _split_top_level(text: str) -> list[str]:
    """Split at commas that are not inside brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced brackets in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ValueError(f"unbalanced brackets in {text!r}")
    parts.append(text[start:])
    return parts


def _scalar(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text == "None":
        return None
    return text


def _closing(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in "([":
            depth += 1
        elif text[i] in ")]":
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_option_value(text: str) -> Any:
    """The Python value of one ``--cfg-options`` value (see the module docstring)."""
    value = text.strip().strip("'\"").replace(" ", "")
    if value[:1] in "([" and _closing(value, 0) == len(value) - 1:
        inner = value[1:-1]
        items = [] if not inner else [parse_option_value(p) for p in _split_top_level(inner)]
        # a trailing comma, as in "(0,)", leaves an empty last item
        if inner.endswith(","):
            items = items[:-1]
        return tuple(items) if value[0] == "(" else items
    parts = _split_top_level(value)
    if len(parts) > 1:
        return [parse_option_value(p) for p in parts if p]
    return _scalar(value)


class DictAction(argparse.Action):
    """Collects ``KEY=VALUE`` words into a nested dict (upstream ExCore's ``--cfg-options``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        current = getattr(namespace, self.dest, None)
        result: dict[str, Any] = dict(current) if isinstance(current, dict) else {}
        words = [values] if isinstance(values, str) else list(values or [])
        for word in words:
            key, sep, raw = str(word).partition("=")
            if not sep or not key:
                parser.error(f"{option_string or self.dest}: expected KEY=VALUE, got {word!r}")
            try:
                value = parse_option_value(raw)
            except ValueError as exc:
                parser.error(f"{option_string or self.dest}: {key}: {exc}")
            target = result
            parts = key.split(".")
            for part in parts[:-1]:
                child = target.get(part)
                if not isinstance(child, dict):
                    child = target[part] = {}
                else:
                    child = target[part] = dict(child)
                target = child
            target[parts[-1]] = value
        setattr(namespace, self.dest, result)
