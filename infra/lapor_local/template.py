"""Read `template.yaml` and evaluate its intrinsic functions, so the local stack never repeats the template.

The loader turns CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub` ...) into their long forms; the
`Resolver` evaluates those long forms against parameter values, pseudo parameters and the physical ids of
the resources that the local stack created.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "ap-southeast-3"  # Jakarta, where an Indonesian deployment would live
STACK_NAME = "lapor-local"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


class TemplateError(Exception):
    """The template cannot be evaluated locally (unknown parameter, unsupported intrinsic, cycle ...)."""


class _NoValue:
    """`AWS::NoValue`: the property it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that knows CloudFormation's short tags and reads dates as strings, as CloudFormation does."""


CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SHORT_TAGS = (
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "ToJsonString",
    "Length",
)


def _construct_node(loader: CfnLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _short_tag_constructor(name: str) -> Callable[[CfnLoader, yaml.Node], dict[str, Any]]:
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: CfnLoader, node: yaml.Node) -> dict[str, Any]:
        return {key: _construct_node(loader, node)}

    return construct


def _construct_get_att(loader: CfnLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::GetAtt": value}


for _tag in _SHORT_TAGS:
    CfnLoader.add_constructor(f"!{_tag}", _short_tag_constructor(_tag))
CfnLoader.add_constructor("!GetAtt", _construct_get_att)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template into plain dicts with long-form intrinsics."""
    with path.open(encoding="utf-8") as stream:
        template = yaml.load(stream, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources section)")
    return template


_GLOBALS_SECTION = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}


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
    """A resource's Properties, with the template's Globals applied to `AWS::Serverless::*` resources."""
    resource = template["Resources"][logical_id]
    properties = dict(resource.get("Properties") or {})
    section = _GLOBALS_SECTION.get(resource.get("Type", ""))
    globals_ = ((template.get("Globals") or {}).get(section) or {}) if section else {}
    return merge_globals(globals_, properties) if globals_ else properties


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Evaluates intrinsic functions the way CloudFormation would for this one local stack."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        region: str,
        parameters: Mapping[str, Any] | None = None,
        account_id: str = ACCOUNT_ID,
        stack_name: str = STACK_NAME,
    ) -> None:
        self.template = template
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.parameters = self._parameter_values(parameters or {})
        self.refs: dict[str, Any] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, bool] = {}

    def _parameter_values(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        declared = self.template.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in overrides:
                value = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                continue
            if spec.get("Type") == "CommaDelimitedList" or str(spec.get("Type", "")).startswith("List<"):
                value = value if isinstance(value, list) else [item.strip() for item in str(value).split(",")]
            else:
                value = as_string(value)
            values[name] = value
        return values

    @property
    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{PARTITION}:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
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
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, argument),) = expression.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return as_string(left) == as_string(right)
            if key == "Fn::Not":
                return not self._evaluate_condition(argument[0])
            if key == "Fn::And":
                return all(self._evaluate_condition(item) for item in argument)
            if key == "Fn::Or":
                return any(self._evaluate_condition(item) for item in argument)
        if isinstance(expression, bool):
            return expression
        raise TemplateError(f"not a condition: {expression!r}")

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic inside `value`; `AWS::NoValue` removes the key or list item."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                ((key, argument),) = value.items()
                return self._intrinsic(key, argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
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
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return as_string(variables[name])
            if "." in name and name not in self.parameters:
                return as_string(self.get_att(*name.split(".", 1)))
            return as_string(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, argument: Any) -> bool:
        return self._evaluate_condition({"Fn::Equals": argument})

    def _fn_not(self, argument: Any) -> bool:
        return self._evaluate_condition({"Fn::Not": argument})

    def _fn_and(self, argument: Any) -> bool:
        return self._evaluate_condition({"Fn::And": argument})

    def _fn_or(self, argument: Any) -> bool:
        return self._evaluate_condition({"Fn::Or": argument})

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = argument[0], self.resolve(argument[1])
        return delimiter.join(as_string(item) for item in items)

    def _fn_select(self, argument: Any) -> Any:
        index, items = self.resolve(argument[0]), self.resolve(argument[1])
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = argument[0], self.resolve(argument[1])
        return text.split(delimiter)

    def _fn_findinmap(self, argument: Any) -> Any:
        map_name, top_key, second_key = (self.resolve(item) for item in argument[:3])
        try:
            return self.template["Mappings"][map_name][top_key][second_key]
        except KeyError as error:
            raise TemplateError(f"Fn::FindInMap: no {map_name}/{top_key}/{second_key}") from error

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(as_string(self.resolve(argument)).encode()).decode()

    def _fn_getazs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or self.region
        return [f"{region}{zone}" for zone in "abc"]


def as_string(value: Any) -> str:
    """CloudFormation's view of a scalar: booleans are `true`/`false`, numbers their plain text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
