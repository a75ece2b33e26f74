"""The template deploys: no resource depends on itself through others, whatever the parameters say.

CloudFormation refuses such a stack before creating anything. The judge is the transformed template's own
dependency graph (tests/cfn.py), walked for each combination of the conditions' values; cfn-lint's E3004
found this in 1.51 and missed it in 1.58.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lapor_local.template import load_template

from tests.cfn import cycles, dependency_graph, find_cycle, sam_transformed
from tests.conftest import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return sam_transformed(TEMPLATE)


def test_the_transformed_template_has_no_dependency_cycle_under_any_condition_values(
    transformed: dict[str, Any],
) -> None:
    assert len(transformed["Conditions"]) >= 4, "every condition of the template is walked"
    assert cycles(transformed) == []


def test_a_console_that_learns_its_client_id_from_its_environment_closes_the_loop_again() -> None:
    """What the template did before: the client's callback names the API, the API integrates the console
    function, and the function's environment named the client. With a public base URL there is no loop."""
    template = copy.deepcopy(TEMPLATE)
    variables = template["Resources"]["ConsoleFunction"]["Properties"].setdefault("Environment", {})
    variables.setdefault("Variables", {})["CONSOLE_CLIENT_ID"] = {"Ref": "AgencyUserPoolClient"}
    found = cycles(sam_transformed(template))
    assert found, "the walker must see the loop"
    assert all(not conditions["HasPublicBaseUrl"] for conditions, _ in found)
    _, cycle = found[0]
    assert {"LaporApi", "ConsoleFunction", "AgencyUserPoolClient"} <= set(cycle)


def graph_of(resources: dict[str, Any], conditions: dict[str, bool] | None = None) -> dict[str, set[str]]:
    return dependency_graph({"Resources": resources}, conditions or {})


def test_every_kind_of_reference_is_an_edge() -> None:
    graph = graph_of(
        {
            "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
            "B": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["C", "Arn"]}}},
            "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "arn:${D.Arn}/${AWS::Region}/${!Literal}"}}},
            "D": {"Type": "T", "DependsOn": ["E"], "Properties": {"X": {"Fn::Sub": ["${V}", {"V": {"Ref": "F"}}]}}},
            "E": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": "F.Arn"}, "Y": {"Ref": "SomeParameter"}}},
            "F": {"Type": "T", "DependsOn": "A"},
        }
    )
    assert graph == {"A": {"B"}, "B": {"C"}, "C": {"D"}, "D": {"E", "F"}, "E": {"F"}, "F": {"A"}}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) >= 3


def test_only_the_branch_a_condition_takes_and_only_created_resources_count() -> None:
    resources = {
        "A": {"Type": "T", "Properties": {"X": {"Fn::If": ["On", {"Ref": "B"}, "none"]}}},
        "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}},
        "C": {"Type": "T", "Condition": "On", "Properties": {"X": {"Ref": "C"}}},
    }
    assert find_cycle(graph_of(resources, {"On": False})) is None
    assert find_cycle(graph_of(resources, {"On": True})) is not None
    assert "C" not in graph_of(resources, {"On": False})


def test_a_graph_without_circles_has_none() -> None:
    assert find_cycle({"A": {"B", "C"}, "B": {"C"}, "C": set()}) is None
