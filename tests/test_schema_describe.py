"""``excore.describe``: live objects → signature records (what the index and the checker see)."""

# Optional/Union on purpose: both spellings must be understood.
# ruff: noqa: UP007, UP045

from __future__ import annotations

import importlib
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from excore.describe import LiveSource, describe, describe_module_tree, json_types_of
from excore.signatures import ModuleInfo

SAMPLES = Path(__file__).parent / "fixtures" / "schema" / "samples"


@pytest.fixture(scope="module")
def samples() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(SAMPLES))
    try:
        yield {n: importlib.import_module(n) for n in ("doc_styles", "postponed", "kinds")}
    finally:
        sys.path.remove(str(SAMPLES))
        for name in ("doc_styles", "postponed", "kinds"):
            sys.modules.pop(name, None)


def _params(info: ModuleInfo) -> dict[str, dict[str, object]]:
    return {
        p.name: {
            "json_type": p.json_type,
            "required": p.required,
            "default": p.default,
            "description": p.description,
        }
        for p in info.params
    }


@pytest.mark.parametrize(
    ("cls", "documented"),
    [
        ("GoogleStyle", {"depth": "How many layers to stack.", "name": "What to call it."}),
        (
            "NumpyStyle",
            {"depth": "How many layers to stack.", "ratio": "Fraction of channels kept."},
        ),
        ("RestStyle", {"depth": "How many layers to stack.", "flag": "Whether to turn it on."}),
        ("InitDocumented", {"alpha": "Documented on ``__init__`` only."}),
    ],
)
def test_parameter_descriptions_from_each_docstring_style(
    samples: dict[str, ModuleType], cls: str, documented: dict[str, str]
) -> None:
    info = describe(getattr(samples["doc_styles"], cls), cls, "Model", root=SAMPLES)
    assert {p.name: p.description for p in info.params} == documented
    assert info.file == "doc_styles.py"
    source = (SAMPLES / "doc_styles.py").read_text().splitlines()
    assert source[info.line - 1].startswith(f"class {cls}")


def test_google_style_types_defaults_and_required(samples: dict[str, ModuleType]) -> None:
    info = describe(samples["doc_styles"].NumpyStyle, "NumpyStyle", "Model")
    params = _params(info)
    assert params["depth"]["json_type"] == ["integer"] and params["depth"]["required"] is True
    assert params["ratio"] == {
        "json_type": ["number"],
        "required": False,
        "default": 0.5,
        "description": "Fraction of channels kept.",
    }
    assert info.signature == "(depth: int, ratio: float = 0.5)"
    assert info.summary == "Documented the NumPy way."


def test_postponed_annotations_are_kept_and_resolved(samples: dict[str, ModuleType]) -> None:
    info = describe(samples["postponed"].Later, "Later", "Model", root=SAMPLES)
    by_name = {p.name: p for p in info.params}
    assert [p.name for p in info.params] == ["size", "scale", "mode", "exact", "sizes"]
    assert by_name["size"].annotation == "int" and by_name["size"].json_type == ["integer"]
    assert by_name["scale"].annotation == "Optional[float]"
    assert by_name["scale"].json_type == ["number", "null"]
    assert by_name["mode"].literal_values == ["zeros", "reflect"]
    assert by_name["mode"].json_type == ["string"]
    # Decimal is only imported under TYPE_CHECKING: unresolvable, the text is kept, never skipped
    assert by_name["exact"].annotation == "Decimal | None"
    assert by_name["exact"].json_type == []
    assert by_name["sizes"].default == [1, 2] and by_name["sizes"].json_type == ["array"]
    assert by_name["size"].description == "Side length."
    members = {m.name: m for m in info.members}
    assert members["area"].kind == "method" and members["area"].returns == "int"
    assert members["area"].signature == "() -> int"
    assert members["double"].kind == "property" and members["double"].returns == "postponed:Later"
    assert members["size"].kind == "attribute"  # assigned in __init__


def test_dataclass_fields_are_parameters(samples: dict[str, ModuleType]) -> None:
    info = describe(samples["postponed"].Options, "Options", "Model")
    assert [(p.name, p.json_type, p.default, p.description) for p in info.params] == [
        ("lr", ["number"], 0.1, "Learning rate."),
        ("steps", ["integer"], 10, "How many steps."),
        ("tags", ["array"], "<factory>", ""),
    ]


def test_function_hook_kwargs_and_odd_defaults(samples: dict[str, ModuleType]) -> None:
    kinds = samples["kinds"]
    function = describe(kinds.make_thing, "make_thing", "Model")
    assert function.kind == "function"
    assert (
        function.signature == "(width: int, *, height: int = 2, **options: Any) -> dict[str, int]"
    )
    assert [(p.name, p.kind) for p in function.params] == [
        ("width", "positional"),
        ("height", "keyword"),
        ("options", "var_keyword"),
    ]
    assert function.accepts_var_keyword

    child = describe(kinds.Child, "Child", "Model")
    color = child.param("color")
    assert color is not None and color.default_is_repr and color.default == "<Color.RED: 1>"
    callback = child.param("callback")
    assert callback is not None and callback.default == "builtins.print"
    tags = child.param("tags")  # the same text whatever the hash seed
    assert tags is not None and tags.default == "frozenset({'a', 'b', 'c'})"
    assert child.bases == ["kinds:Base"]
    members = {m.name: m for m in child.members}
    assert members["parameters"].summary == "Trainable numbers."  # inherited
    assert members["parameters"].doc == ""  # inherited members keep their summary only
    assert members["forward"].doc == "Run it." and members["forward"].returns == "kinds:Base"
    assert members["out_channels"].returns == "int"  # annotated in __init__
    assert members["helper"].returns == "kinds:Base"  # the class it is built from
    assert members["kind"].kind == "attribute" and members["kind"].returns == "str"

    hook = describe(kinds.ScaleHook, "ScaleHook", "Hook")
    assert hook.kind == "hook"
    # ``node`` is given by the builder; ``enabled`` always passed (true unless the config says)
    assert [(p.name, p.required, p.default) for p in hook.params] == [
        ("enabled", False, True),
        ("factor", False, 2.0),
    ]


def test_objects_without_source_or_signature_are_kept() -> None:
    builtin = describe(dict, "dict", "Model")
    assert (builtin.file, builtin.line) == ("", 0)
    assert builtin.kind == "class" and builtin.name == "dict"
    chain = describe(itertools.chain, "chain", "Model")
    assert (chain.file, chain.line) == ("", 0)
    assert chain.target == "itertools:chain"


def test_json_types_keep_integers_and_numbers_apart() -> None:
    from typing import Literal, Optional, Union

    assert json_types_of(bool) == ["boolean"]
    assert json_types_of(int) == ["integer"]
    assert json_types_of(float) == ["number"]
    assert json_types_of(Optional[int]) == ["integer", "null"]
    assert json_types_of(int | None) == ["integer", "null"]
    assert json_types_of(Union[int, str]) == ["integer", "string"]
    assert json_types_of(Literal[1, 2]) == ["integer"]
    assert json_types_of(list[int]) == ["array"]
    assert json_types_of(dict[str, int]) == ["object"]
    assert json_types_of(Path) == ["string"]
    # a class no TOML literal can be is dropped from a union; alone it means "unknown"
    assert json_types_of(Union[float, ModuleType]) == ["number"]
    assert json_types_of(Optional[ModuleType]) == []


def test_registered_python_module_tree(samples: dict[str, ModuleType]) -> None:
    import email

    importlib.import_module("email.mime.text")
    info = describe(email, "email", "Module", kind_hint="module")
    assert info.kind == "module" and info.target == "email"
    assert {"message_from_string", "mime"} <= {m.name for m in info.members}
    tree = describe_module_tree(email, "email", "Module")
    assert tree["email.mime"].kind == "module"
    text = tree["email.mime.text.MIMEText"]
    assert text.kind == "class" and text.doc == "" and text.members == []
    assert [p.name for p in text.params][:1] == ["_text"]


def test_torch_required_sentinel_and_source_lookup() -> None:
    torch = pytest.importorskip("torch")
    from torch.optim.optimizer import Optimizer, required

    class OldStyleSGD(Optimizer):
        def __init__(self, params: object, lr: float = required, momentum: float = 0) -> None:
            pass

    info = describe(OldStyleSGD, "OldStyleSGD", "Optimizer")
    lr = info.param("lr")
    assert lr is not None and lr.required and not lr.has_default
    tensor = describe(torch.Tensor, "Tensor", "Module")
    assert tensor.kind == "class"  # kept whatever inspect can or cannot read
    adafactor = describe(torch.optim.Adafactor, "Adafactor", "Optimizer")
    assert adafactor.file.endswith("_adafactor.py") and adafactor.line > 0


def test_live_source_describes_lazily_and_caches(samples: dict[str, ModuleType]) -> None:
    from excore.registry import Registry

    registry = Registry("DescribeTestParts")
    try:
        registry.register_module("doc_styles:GoogleStyle", _is_str=True)
        registry.register_module("doc_styles:Missing", _is_str=True, name="Missing")
        source = LiveSource(primary_fields={"Part": "DescribeTestParts"}, root=str(SAMPLES))
        assert "DescribeTestParts" in source.registry_names()
        assert sorted(source.names("DescribeTestParts")) == ["GoogleStyle", "Missing"]
        info = source.lookup("GoogleStyle", "DescribeTestParts")
        # check-grade: parameters and bases, no location or docs (the index has those)
        assert info is not None and info.params and info.file == "" and info.doc == ""
        assert source.lookup("GoogleStyle") is info  # cached
        assert [i.registry for i in source.lookup_all("GoogleStyle")] == ["DescribeTestParts"]
        missing = source.lookup("Missing")
        assert missing is not None and not missing.signature_known  # known, not importable
        assert source.lookup("Nope") is None
        assert source.primary_fields() == {"Part": "DescribeTestParts"}
        assert LiveSource().primary_fields() is None
    finally:
        Registry.remove_registry("DescribeTestParts")


def test_live_source_import_does_not_import_torch() -> None:
    import subprocess

    code = (
        "import sys; from excore.describe import LiveSource; LiveSource().registry_names();"
        "assert 'torch' not in sys.modules and 'docstring_parser' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _Base:
    def __init__(self, depth: int = 18, mode: str = "a") -> None:
        self.depth, self.mode = depth, mode


class _Inherits(_Base):
    pass


class _InheritsAgain(_Inherits):
    """A docstring the check-grade description does not keep."""


class _OwnInit(_Base):
    def __init__(self, width: float) -> None:
        super().__init__()


class _Signed(_Base):
    __signature__ = None  # inspect then reads the constructor


class _SignedChild(_Signed):
    pass


def _inherited_classes() -> list[type]:
    from excore.engine.hook import ConfigArgumentHook

    class Hook(ConfigArgumentHook):
        def __init__(self, node: object, enabled: bool, scale: float = 1.0) -> None:
            super().__init__(node, enabled)

        def hook(self) -> object:
            return self.node()

    class HookChild(Hook):
        pass

    class Meta(type):
        pass

    class WithMeta(_Base, metaclass=Meta):
        pass

    return [_Inherits, _InheritsAgain, _OwnInit, _Signed, _SignedChild, HookChild, WithMeta]


@pytest.mark.parametrize("cls", _inherited_classes(), ids=lambda c: c.__name__)
def test_classes_that_inherit_their_constructor_are_described_as_in_full(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    import excore.describe as module

    twice = [describe(cls, cls.__name__, "R", for_check=True) for _ in range(2)]
    monkeypatch.setattr(module, "_inherited_check_facts", lambda cls: None)
    full = describe(cls, cls.__name__, "R", for_check=True)
    assert twice[0] == twice[1] == full
    assert full.params and full.kind == ("hook" if "Hook" in cls.__name__ else "class")


def test_live_source_follows_registries_removed_and_added() -> None:
    from excore.registry import Registry

    class First:
        pass

    class Second:
        pass

    source = LiveSource(None)
    first = Registry("DescribeOrderFirst")
    first.register_module(First, name="Shared")
    try:
        found = source.lookup("Shared")
        assert found is not None and found.registry == "DescribeOrderFirst"
        Registry.remove_registry("DescribeOrderFirst")
        second = Registry("DescribeOrderSecond")  # as many registries as before
        second.register_module(Second, name="Shared")
        found = source.lookup("Shared")
        assert found is not None and found.registry == "DescribeOrderSecond"
    finally:
        Registry.remove_registry("DescribeOrderFirst")
        Registry.remove_registry("DescribeOrderSecond")
