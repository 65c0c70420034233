"""Did-you-mean prefers the kind of name expected where the typo is."""

from __future__ import annotations

from pathlib import Path

from excore.config.check import check_config
from excore.schema.index import RegistryInfo, WorkspaceIndex
from excore.syntax.text import LineIndex

KINDS = Path(__file__).parent / "fixtures" / "kinds"


def test_a_misspelt_field_suggests_the_field_before_a_registry(index: WorkspaceIndex) -> None:
    index.registries["Module"] = RegistryInfo("Module", [], {})
    path = KINDS / "modle.toml"
    (problem,) = check_config(path, index, env={})
    line, col = LineIndex(path.read_text()).position(problem.start)
    assert (problem.code, line + 1, col + 1) == ("unknown-field", 1, 2)
    assert problem.message == "'Modle' is not a primary field or registry (did you mean 'Model'?)"
    assert problem.data["suggestions"] == ["Model"]
