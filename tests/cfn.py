"""What CloudFormation receives: the template after SAM's transform, and the dependency graph it creates.

CloudFormation refuses a stack whose resources depend on each other in a circle ("Circular dependency
between resources") before it creates anything. cfn-lint's E3004 says so in some versions and not in
others; this module is the judge instead: it walks every `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`
of the transformed template, once for each combination of its conditions' values.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from lapor_local.template import load_template

from tests.conftest import ROOT

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@contextmanager
def _region(name: str) -> Iterator[None]:
    before = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = before


def sam_transformed(template: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What CloudFormation receives after SAM's transform (aws-sam-translator, offline)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    source = copy.deepcopy(dict(template or load_template(ROOT / "template.yaml")))
    for resource in source["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://lapor-artifacts/function.zip"  # what `sam package` writes
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://lapor-artifacts/layer.zip"
    with _region("ap-southeast-3"):
        return transform(source, {}, NoManagedPolicies())  # type: ignore[no-any-return]


def _chosen(value: Any, conditions: Mapping[str, bool]) -> Any:
    """The value as CloudFormation sees it under these condition values: every `Fn::If` decided."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, when_true, when_false = value["Fn::If"]
            return _chosen(when_true if conditions[name] else when_false, conditions)
        return {key: _chosen(item, conditions) for key, item in value.items()}
    if isinstance(value, list):
        return [_chosen(item, conditions) for item in value]
    return value


def _references(value: Any, resources: set[str]) -> Iterator[str]:
    """The logical ids of resources that `value` names through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item, resources)
        return
    if not isinstance(value, dict):
        return
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str) and argument in resources:
            yield argument
        elif key == "Fn::GetAtt":
            name = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
            if name in resources:
                yield name
        elif key == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for variable in _SUB_VARIABLE.findall(text):
                name = variable.split(".", 1)[0]
                if name in resources and name not in local:
                    yield name
            yield from _references(local, resources)
        else:
            yield from _references(argument, resources)


def dependency_graph(template: Mapping[str, Any], conditions: Mapping[str, bool]) -> dict[str, set[str]]:
    """Each resource CloudFormation would create under these condition values, with what it depends on."""
    created = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }
    names = set(created)
    graph: dict[str, set[str]] = {}
    for logical_id, resource in created.items():
        decided = _chosen({k: v for k, v in resource.items() if k != "DependsOn"}, conditions)
        depends_on = resource.get("DependsOn") or []
        graph[logical_id] = set(_references(decided, names)) | (
            {depends_on} if isinstance(depends_on, str) else set(depends_on)
        )
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One circle of dependencies (its first resource repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def condition_combinations(template: Mapping[str, Any]) -> Iterator[dict[str, bool]]:
    """Every assignment of true and false to the template's named conditions (impossible ones included)."""
    names = sorted(template.get("Conditions") or {})
    for values in itertools.product((False, True), repeat=len(names)):
        yield dict(zip(names, values, strict=True))


def cycles(template: Mapping[str, Any]) -> list[tuple[dict[str, bool], list[str]]]:
    """Every combination of condition values under which the template has a circle, with one such circle."""
    found = []
    for conditions in condition_combinations(template):
        cycle = find_cycle(dependency_graph(template, conditions))
        if cycle:
            found.append((conditions, cycle))
    return found
