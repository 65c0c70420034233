"""The one grammar of keys and reference values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from excore.syntax.grammar import (
    _parse_any_reference,
    find_env_refs,
    parse_key,
    parse_reference,
    parse_variable_value,
)


def test_keys() -> None:
    assert (parse_key("!head").prefix, parse_key("!head").name) == ("!", "head")
    assert parse_key("lr").prefix == ""
    node = parse_key("@backbone", 10)
    assert (node.start, node.end, node.name_start) == (10, 19, 11)


def test_field_member_chain_and_hooks() -> None:
    ref = parse_reference("$Model::FCN.parameters()@A@B", 5)
    assert ref.dollar and ref.head and ref.head.text == "Model"
    assert ref.member is not None and (ref.member.text, ref.member.start) == ("FCN", 13)
    assert [link.attr.text if link.attr else "()" for link in ref.chain] == ["parameters", "()"]
    assert [h.text for h in ref.hooks] == ["A", "B"]
    assert ref.problems == []


def test_star_and_python_paths_with_literal_arguments() -> None:
    assert parse_reference("$Block::*").star
    ref = parse_reference("torch.nn.ReLU(inplace=True)")
    assert [n.text for n in ref.dotted_names] == ["torch", "nn", "ReLU"]
    call = ref.chain[-1].call
    assert call is not None and call.kwargs == {"inplace": True}


def test_fine_grained_values_name_their_table() -> None:
    ref = parse_reference("torch.nn.Sequential*$ConfigInfo::backbone@Tag", 4)
    assert [n.text for n in ref.dotted_names] == ["torch", "nn", "Sequential"]
    assert ref.fine is not None and ref.fine.key == ("ConfigInfo", "backbone")
    assert (ref.fine.start, ref.fine.end, ref.fine.path[1].start) == (23, 45, 37)
    assert [h.text for h in ref.hooks] == ["Tag"] and ref.problems == []
    top = parse_reference("Chain*head")
    assert top.fine is not None and top.fine.key == ("head",) and not top.fine.dollar
    assert parse_reference("Chain").fine is None
    for text, message, span in [
        ("Chain*", "expected a table name after '*' (e.g. '*$Group::name')", (5, 6)),
        ("Chain*$A::", "expected a table name after '::'", (5, 10)),
        ("Chain*a::b", "unexpected '::b' in reference", (7, 10)),
    ]:
        assert [(p.message, (p.start, p.end)) for p in parse_reference(text).problems] == [
            (message, span)
        ], text


def test_non_literal_arguments_are_refused_without_evaluation() -> None:
    ref = parse_reference('f(__import__("os").system("true"))')
    assert [p.message for p in ref.problems] == [
        'arguments must be literals (__import__("os").system("true"))'
    ]


def test_malformed_references_have_ranges() -> None:
    for text in ["", "$", "a.", "x(", "A::B", "A B", "A@"]:
        ref = parse_reference(text, 3)
        assert ref.problems, text
        for problem in ref.problems:
            assert 3 <= problem.start <= problem.end <= 3 + max(len(text), 1)


def test_variables_and_env() -> None:
    assert parse_variable_value("size").name is not None
    value = parse_variable_value("${HOME}/data/${X}", 2)
    assert [(e.name, e.start, e.end) for e in value.env] == [("HOME", 2, 9), ("X", 15, 19)]
    assert parse_variable_value("not a name").problems
    assert find_env_refs("${UNCLOSED")[0].closed is False


@given(st.text(max_size=60))
def test_reference_parser_never_raises(text: str) -> None:
    ref = parse_reference(text)
    assert ref.end == len(text)


@given(
    st.one_of(
        st.from_regex(r"\$?[A-Za-z_é中][\w\-]{0,8}", fullmatch=True),
        st.text(alphabet=st.sampled_from(list("Aa1_-$.:@*() é")), max_size=12),
    ),
    st.integers(min_value=0, max_value=50),
)
def test_a_bare_name_reads_as_the_full_grammar_reads_it(text: str, start: int) -> None:
    assert parse_reference(text, start) == _parse_any_reference(text, start)


def test_a_bare_name_is_the_head() -> None:
    ref = parse_reference("ResNet", 7)
    assert ref.head is not None and (ref.head.text, ref.head.start, ref.head.end) == (
        "ResNet",
        7,
        13,
    )
    assert not (ref.dollar or ref.chain or ref.hooks or ref.problems or ref.member or ref.star)
