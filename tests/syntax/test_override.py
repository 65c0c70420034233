"""The override grammar shared by `-o` and `config.load(overrides=...)`."""

from __future__ import annotations

import pytest

from excore.syntax.override import parse_override


@pytest.mark.parametrize(
    ("text", "kind", "path", "literal"),
    [
        ("Model.FCN.num_classes=3", "set", ("Model", "FCN", "num_classes"), "3"),
        ("lr = 0.1", "set", ("lr",), "0.1"),
        ("name=run-2", "set", ("name",), '"run-2"'),
        ('name="a b"', "set", ("name",), '"a b"'),
        ("sizes=[1, 2]", "set", ("sizes",), "[1, 2]"),
        ("+Model.FCN.dropout=0.5", "add", ("Model", "FCN", "dropout"), "0.5"),
        ("~LRScheduler", "delete", ("LRScheduler",), ""),
        ("~Model.FCN.head", "delete", ("Model", "FCN", "head"), ""),
        ("Model=SmallCNN", "set", ("Model",), '"SmallCNN"'),
        ("Model.ResNet.$block=Bottleneck", "set", ("Model", "ResNet", "$block"), '"Bottleneck"'),
        (
            "Model.FCN.!act=torch.nn.ReLU(inplace=True)",
            "set",
            ("Model", "FCN", "!act"),
            '"torch.nn.ReLU(inplace=True)"',
        ),
        ('Model."torch.nn.Conv2d".x=1', "set", ("Model", "torch.nn.Conv2d", "x"), "1"),
    ],
)
def test_forms(text: str, kind: str, path: tuple[str, ...], literal: str) -> None:
    override = parse_override(text)
    assert not override.problems
    assert (override.kind, override.path, override.literal) == (kind, path, literal)


@pytest.mark.parametrize(
    ("text", "fragment", "start"),
    [
        ("Model.FCN", "expected KEY=VALUE", 9),
        ("x=", "expected a value after '='", 2),
        ("x=[1, 2", "cannot read '[1, 2' as a TOML value", 2),
        ("~x=1", "'~KEY' takes no value", 2),
        ('"x=1', "unclosed quote in the key", 0),
        ("=3", "expected a key", 0),
    ],
)
def test_problems_have_offsets(text: str, fragment: str, start: int) -> None:
    override = parse_override(text)
    assert override.problems
    assert fragment in override.problems[0].message
    assert override.problems[0].start == start
