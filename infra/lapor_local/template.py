"""Read `template.yaml` and evaluate its intrinsic functions, so the local stack never repeats the template.

The loader turns CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub` ...) into their long forms; the
`Resolver` evaluates those long forms against parameter values, pseudo parameters and the physical ids of
the resources that the local stack created. It evaluates what the template uses (Ref, GetAtt, Sub, If,
Select, Split, and Equals and Not in Conditions); any other intrinsic is a TemplateError that names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lapor_local.runtime import ACCOUNT_ID

STACK_NAME = "lapor-local"
PARTITION = "aws"


class TemplateError(Exception):
    """The template cannot be evaluated locally (unknown parameter, unsupported intrinsic, cycle ...)."""


# libyaml's parser where PyYAML was built with it (its wheels are): the template parses about ten times faster, which
# every integration test's fresh account pays once.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CfnLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A SafeLoader that knows CloudFormation's short tags and reads dates as strings, as CloudFormation does."""


CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_short_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    """`!Name x` is `{"Fn::Name": x}` (`!Ref` is `{"Ref": x}`, `!GetAtt A.b` is `{"Fn::GetAtt": ["A", "b"]}`)."""
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {suffix if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into plain dicts with long-form intrinsics."""
    with path.open(encoding="utf-8") as stream:
        template = yaml.load(stream, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources section)")
    return template


def is_intrinsic(value: Any) -> bool:
    """True for a one-key dict such as `{"Ref": ...}` or `{"Fn::Sub": ...}`."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::")


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge key by key, lists add up (globals first), anything else is overridden."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if is_intrinsic(global_value) or is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def resource_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A resource's Properties, with the template's Globals applied to `AWS::Serverless::Function`s."""
    resource = template["Resources"][logical_id]
    properties = dict(resource.get("Properties") or {})
    if resource.get("Type") != "AWS::Serverless::Function":
        return properties
    return merge_globals((template.get("Globals") or {}).get("Function") or {}, properties)


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsic functions the way CloudFormation would for this one local stack."""

    def __init__(
        self, template: Mapping[str, Any], *, region: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        self.template = template
        self.region = region
        self.parameters = self._parameter_values(parameters or {})
        self.refs: dict[str, Any] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, bool] = {}

    def _parameter_values(self, overrides: Mapping[str, Any]) -> dict[str, str]:
        declared = self.template.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(unknown)}")
        values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
        return {name: as_string(value) for name, value in {**values, **overrides}.items()}

    @property
    def pseudo_parameters(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
        }

    def register(self, logical_id: str, ref: Any, attributes: Mapping[str, Any]) -> None:
        """Record what `Ref` and `Fn::GetAtt` return for a resource the local stack created."""
        self.refs[logical_id] = ref
        self.attributes[logical_id] = dict(attributes)

    def condition(self, name: str) -> bool:
        """Evaluate a named condition of the template's Conditions section."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = self._evaluate_condition(conditions[name])
        return self._conditions[name]

    def is_active(self, logical_id: str) -> bool:
        """False when the resource's own `Condition` is false: CloudFormation would not create it."""
        name = self.template["Resources"][logical_id].get("Condition")
        return True if name is None else self.condition(name)

    def _evaluate_condition(self, expression: Any) -> bool:
        if is_intrinsic(expression):
            ((key, argument),) = expression.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return as_string(left) == as_string(right)
            if key == "Fn::Not":
                return not self._evaluate_condition(argument[0])
        raise TemplateError(f"not a condition the local stack evaluates (Fn::Equals, Fn::Not): {expression!r}")

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic inside `value`."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                ((key, argument),) = value.items()
                return self._intrinsic(key, argument)
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]
        if name in (self.template.get("Parameters") or {}):
            raise TemplateError(f"template parameter {name!r} has no default and no value was given")
        if name not in self.template["Resources"]:
            raise TemplateError(f"Ref to unknown name {name!r}")
        return self.refs.get(name, name)  # a resource not created locally: its logical id stands in

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.template["Resources"]:
            raise TemplateError(f"Fn::GetAtt of unknown resource {logical_id!r}")
        if logical_id not in self.attributes:  # not created locally: a placeholder stands in
            return f"{logical_id}.{attribute}"
        attributes = self.attributes[logical_id]
        if attribute not in attributes:
            raise TemplateError(f"{logical_id} has no attribute {attribute!r} locally ({', '.join(attributes)})")
        return attributes[attribute]

    def _intrinsic(self, key: str, argument: Any) -> Any:
        handler = getattr(self, "_fn_" + key.removeprefix("Fn::").lower(), None)
        if handler is None:
            raise TemplateError(f"{key} is not supported by the local stack")
        return handler(argument)

    def _fn_ref(self, argument: Any) -> Any:
        return self.ref(self.resolve(argument))

    def _fn_getatt(self, argument: Any) -> Any:
        logical_id, attribute = self.resolve(argument)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                return as_string(variables[name])
            if "." in name and name not in self.parameters:
                return as_string(self.get_att(*name.split(".", 1)))
            return as_string(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_select(self, argument: Any) -> Any:
        index, items = self.resolve(argument[0]), self.resolve(argument[1])
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = argument[0], self.resolve(argument[1])
        return text.split(delimiter)


def as_string(value: Any) -> str:
    """CloudFormation's view of a scalar: booleans are `true`/`false`, numbers their plain text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
