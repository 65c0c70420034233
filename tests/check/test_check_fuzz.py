"""Random edits of real configs never make loading, the model or the checker raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excore.config.check import check_config
from excore.schema.index import WorkspaceIndex

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "examples" / "configs").rglob("*.toml"))
    + sorted((Path(__file__).parent / "fixtures").rglob("*.toml"))
]
PIECES = [
    *"[]{}\"'=.,#\n\r\t !@$&:()*",
    '"""',
    "'''",
    "${",
    "::",
    '__base__ = ["f0.toml"]\n',
    "[Model.",
    '"@a" = ',
    "😀",
    "中文",
    "\\",
]
edit = st.tuples(
    st.sampled_from(["insert", "delete", "truncate"]),
    st.floats(0, 1),
    st.sampled_from(PIECES),
    st.integers(1, 8),
)


def apply(text: str, edits: list[tuple[str, float, str, int]]) -> str:
    for kind, where, piece, width in edits:
        pos = int(where * len(text))
        if kind == "insert":
            text = text[:pos] + piece + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + width :]
        else:
            text = text[:pos]
    return text


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(TEXTS), st.lists(edit, min_size=1, max_size=6))
def test_checker_never_raises(
    index: WorkspaceIndex, tmp_path: Path, text: str, edits: list[tuple[str, float, str, int]]
) -> None:
    path = tmp_path / "f0.toml"
    path.write_text(apply(text, edits), encoding="utf-8")
    for problem in check_config(path, index, env={}):
        assert 0 <= problem.start <= problem.end
        assert problem.code and problem.message
