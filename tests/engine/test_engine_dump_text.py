"""``LazyConfig.dumps`` / ``dump`` / ``excore print --toml``: the resolved config as TOML that
reads back to the same data (every value kind, quoted keys, arrays of tables, inheritance)."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest
import tomlkit
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excore import config
from excore.errors import ExcoreError

EVERY_KIND = """\
a = 1
"b c" = "x\\ty \\"q\\" \\u0001"
when = 1979-05-27T07:32:00-08:00
local = 1979-05-27T07:32:00
day = 1979-05-27
t = 07:32:00.5
big = 9223372036854775807
small = -1e-300
arr = [[1, 2], ["a"], {x = 1}]
inl = {p = 1, q = {r = [1.5]}}
"ünï" = true

[Model.Net]
"!x" = "y"

[data.train]
path = "a"

[data.train.empty]

[data.val.deep.deeper]
k = inf

[[items]]
n = 1
[items.sub]
m = 2

[[items]]
n = 2

[outer]
[[outer.rows]]
c = "first"
[[outer.rows]]
c = "second"
"""


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "excore.toml").write_text('name = "dumps"\n', encoding="utf-8")
    return tmp_path


def test_every_value_kind_reads_back_equal(tmp_path: Path) -> None:
    path = _workspace(tmp_path) / "every.toml"
    path.write_text(EVERY_KIND, encoding="utf-8")
    text = config.load(path).dumps()
    assert tomllib.loads(text) == tomllib.loads(EVERY_KIND)
    assert "[[items]]" in text and "[[outer.rows]]" in text  # not "items[0]" tables
    assert "[data.train.empty]" in text and "[data]" not in text


def test_a_child_array_of_tables_replaces_the_base_one(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "base.toml").write_text(
        "keep = 1\n[[items]]\nn = 1\n[[items]]\nn = 2\n[[items]]\nn = 3\n", encoding="utf-8"
    )
    (root / "child.toml").write_text(
        '__base__ = ["base.toml"]\n[[items]]\nn = 10\n', encoding="utf-8"
    )
    dumped = tomllib.loads(config.load(root / "child.toml").dumps())
    assert dumped == {"keep": 1, "items": [{"n": 10}]}


def test_dump_file_loads_back_with_the_same_data(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "every.toml").write_text(EVERY_KIND, encoding="utf-8")
    out = root / "copy.toml"
    config.load(root / "every.toml").dump(out)
    again = config.load(out).dumps()
    assert tomllib.loads(again) == tomllib.loads(EVERY_KIND)


_NAMES = st.text(
    alphabet=st.sampled_from("abcXYZ019_- .\"'\\é#=[]"), min_size=1, max_size=6
).filter(lambda k: not k.startswith(("_", "!", "@", "$", "&")) and k[-1:] != "]")
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=8),
    st.dates(),
    st.datetimes(),
    st.times(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=3),
    max_leaves=6,
)
_TABLES = st.recursive(
    st.dictionaries(_NAMES, _VALUES, max_size=3),
    lambda inner: st.dictionaries(
        _NAMES, inner | st.lists(inner, min_size=1, max_size=2), max_size=3
    ),
    max_leaves=8,
)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isinf(a) and a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime.time) and isinstance(b, datetime.time):
        return a.replace(microsecond=a.microsecond // 1000 * 1000) == b.replace(
            microsecond=b.microsecond // 1000 * 1000
        )
    return a == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_TABLES)
def test_any_document_reads_back_equal(tmp_path_factory, data: dict[str, object]) -> None:
    root = _workspace(tmp_path_factory.mktemp("doc"))
    source = tomlkit.dumps(data)
    path = root / "doc.toml"
    path.write_text(source, encoding="utf-8")
    expected = tomllib.loads(source)
    dumped = config.load(path).dumps()
    assert _same(tomllib.loads(dumped), expected), dumped


def test_an_array_of_tables_is_a_list_in_run_info_and_to_dict(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "aug.toml").write_text(
        'epochs = 3\n[[augment]]\nname = "flip"\n[[augment]]\nname = "crop"\nsize = 32\n',
        encoding="utf-8",
    )
    cfg = config.load(root / "aug.toml")
    expected = [{"name": "flip"}, {"name": "crop", "size": 32}]
    assert cfg.to_dict() == {"epochs": 3, "augment": expected}
    _, run_info = config.build_all(cfg)
    assert run_info == {"epochs": 3, "augment": expected}


def test_delete_removes_a_whole_array_of_tables(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "base.toml").write_text(
        "keep = 1\n[[augment]]\nn = 1\n[[augment]]\nn = 2\n", encoding="utf-8"
    )
    (root / "child.toml").write_text(
        '__base__ = ["base.toml"]\n__delete__ = ["augment"]\n', encoding="utf-8"
    )
    (root / "typo.toml").write_text(
        '__base__ = ["base.toml"]\n__delete__ = ["agument"]\n', encoding="utf-8"
    )
    assert config.load(root / "child.toml").to_dict() == {"keep": 1}
    with pytest.raises(ExcoreError) as info:
        config.build_all(config.load(root / "typo.toml"))
    assert "typo.toml:2:16" in str(info.value)
    assert "did you mean 'augment'?" in str(info.value)
