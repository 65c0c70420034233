"""Parameter keys: one item per parameter, its prefix chosen from the annotation in the index."""

from __future__ import annotations

import pytest

from excore.signatures import ParamInfo
from excore_ls.features.completion import key_prefix


@pytest.mark.parametrize(
    ("annotation", "json_type", "targets", "prefix"),
    [
        ("type", [], [], "$"),
        ("type[Block]", [], ["pkg:Block"], "$"),
        ("Type[nn.Module]", [], ["torch.nn:Module"], "$"),
        ("typing.Type[Block]", [], ["pkg:Block"], "$"),
        ("Callable", [], [], "$"),
        ("Callable[..., Tensor]", [], ["torch:Tensor"], "$"),
        ("collections.abc.Callable[[int], int]", [], [], "$"),
        ("Optional[type[Block]]", ["null"], ["pkg:Block"], "$"),
        ("type[Block] | None", ["null"], ["pkg:Block"], "$"),
        ("nn.Module", [], ["torch.nn:Module"], "!"),
        ("Optional[Module]", ["null"], ["pkg:Module"], "!"),
        ("Backbone | None", ["null"], [], "!"),
        ("int", ["integer"], [], ""),
        ("list[int]", ["array"], [], ""),
        ("Literal['a', 'b']", ["string"], [], ""),
        ("float | None", ["number", "null"], [], ""),
        ("", [], [], ""),
        ("type[Block] | int", ["integer"], ["pkg:Block"], "!"),  # not only a class object
    ],
)
def test_the_prefix_follows_the_annotation(
    annotation: str, json_type: list[str], targets: list[str], prefix: str
) -> None:
    param = ParamInfo(
        "p",
        annotation=annotation,
        json_type=json_type,  # type: ignore[arg-type]
        annotation_targets=targets,
    )
    assert key_prefix(param) == prefix
