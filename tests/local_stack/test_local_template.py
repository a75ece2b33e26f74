"""Reading template.yaml: the short tags, intrinsic functions and conditions it uses, parameters and Globals."""

from __future__ import annotations

from pathlib import Path

import pytest
from lapor_local.template import Resolver, TemplateError, load_template, merge_globals, resource_properties

SHORT_TAGS = """\
Parameters:
  Stage: {Type: String, Default: v1}
  Count: {Type: Number, Default: 3}
  NoDefault: {Type: String}
Conditions:
  IsV1: !Equals [!Ref Stage, v1]
  NotV1: !Not [!Equals [!Ref Stage, v1]]
  HasStage: !Not [!Equals [!Ref Stage, ""]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Ref: !Ref Queue
      Arn: !GetAtt Queue.Arn
      ArnList: !GetAtt [Queue, Arn]
      Sub: !Sub "${AWS::StackName}-${Stage}-${Queue}-${Queue.Arn}-${AWS::Partition}:${AWS::AccountId}"
      SubMap: !Sub ["lapor-${Id}", {Id: !Select [2, !Split ["/", !Ref "AWS::StackId"]]}]
      If: !If [IsV1, first, second]
      Nested: !If [HasStage, [!Sub "${Stage}/console"], ["*"]]
      Version: 2012-10-17
      Join: !Join [":", [a, b]]
"""


def resolver_for(tmp_path: Path, text: str, **kwargs: object) -> tuple[dict, Resolver]:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    template = load_template(path)
    return template, Resolver(template, region="ap-southeast-3", **kwargs)  # type: ignore[arg-type]


def test_short_tags_become_long_form_intrinsics(tmp_path: Path) -> None:
    template, _ = resolver_for(tmp_path, SHORT_TAGS)
    props = template["Resources"]["Queue"]["Properties"]

    assert props["Ref"] == {"Ref": "Queue"}
    assert props["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["ArnList"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["If"] == {"Fn::If": ["IsV1", "first", "second"]}
    assert template["Conditions"]["NotV1"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "v1"]}]}
    assert props["Join"] == {"Fn::Join": [":", ["a", "b"]]}, "every tag loads; evaluating says what is unsupported"
    assert props["Version"] == "2012-10-17", "dates stay strings, as in CloudFormation"


def test_intrinsics_resolve_against_parameters_pseudo_parameters_and_created_resources(tmp_path: Path) -> None:
    template, resolver = resolver_for(tmp_path, SHORT_TAGS)
    resolver.register("Queue", "https://queue-url", {"Arn": "arn:aws:sqs:ap-southeast-3:123456789012:q"})

    props = resolver.resolve({k: v for k, v in template["Resources"]["Queue"]["Properties"].items() if k != "Join"})

    assert props["Ref"] == "https://queue-url"
    assert props["Arn"] == props["ArnList"] == "arn:aws:sqs:ap-southeast-3:123456789012:q"
    assert props["Sub"] == "lapor-local-v1-https://queue-url-arn:aws:sqs:ap-southeast-3:123456789012:q-aws:123456789012"
    assert props["SubMap"] == "lapor-local", "the stack id's third part, as the user pool domain takes it"
    assert props["If"] == "first"
    assert props["Nested"] == ["v1/console"]


def test_conditions_and_parameter_overrides(tmp_path: Path) -> None:
    _, resolver = resolver_for(tmp_path, SHORT_TAGS, parameters={"Stage": "v2", "NoDefault": "given"})

    assert resolver.condition("IsV1") is False
    assert resolver.condition("NotV1") is True
    assert resolver.condition("HasStage") is True
    assert resolver.ref("Count") == "3", "numbers are strings once referenced, as in CloudFormation"
    assert resolver.ref("NoDefault") == "given"


def test_unusable_references_and_unsupported_intrinsics_fail_clearly(tmp_path: Path) -> None:
    template, resolver = resolver_for(tmp_path, SHORT_TAGS)

    with pytest.raises(TemplateError, match="no default"):
        resolver.ref("NoDefault")
    with pytest.raises(TemplateError, match="unknown name"):
        resolver.ref("Nope")
    with pytest.raises(TemplateError, match="Fn::Join is not supported by the local stack"):
        resolver.resolve(template["Resources"]["Queue"]["Properties"]["Join"])
    with pytest.raises(TemplateError, match="unknown template parameters: Typo"):
        resolver_for(tmp_path, SHORT_TAGS, parameters={"Typo": "x"})


def test_resources_not_created_locally_resolve_to_placeholders(tmp_path: Path) -> None:
    _, resolver = resolver_for(tmp_path, SHORT_TAGS)

    assert resolver.ref("Queue") == "Queue"
    assert resolver.get_att("Queue", "Arn") == "Queue.Arn"


def test_globals_merge_into_functions_like_sam() -> None:
    globals_ = {
        "Timeout": 10,
        "Layers": [{"Ref": "Shared"}],
        "Environment": {"Variables": {"A": "global", "B": {"Ref": "Table"}}},
    }
    function = {"Timeout": 60, "Layers": [{"Ref": "Own"}], "Environment": {"Variables": {"A": "own", "C": "c"}}}

    merged = merge_globals(globals_, function)

    assert merged["Timeout"] == 60
    assert merged["Layers"] == [{"Ref": "Shared"}, {"Ref": "Own"}]
    assert merged["Environment"]["Variables"] == {"A": "own", "B": {"Ref": "Table"}, "C": "c"}


def test_resource_properties_apply_globals_to_serverless_functions_only(tmp_path: Path) -> None:
    text = """\
Globals:
  Function:
    MemorySize: 128
    Environment: {Variables: {LOG_LEVEL: INFO}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.lambda_handler, Environment: {Variables: {OWN: "1"}}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: t}
"""
    template, _ = resolver_for(tmp_path, text)

    assert resource_properties(template, "Fn") == {
        "MemorySize": 128,
        "Handler": "app.lambda_handler",
        "Environment": {"Variables": {"LOG_LEVEL": "INFO", "OWN": "1"}},
    }
    assert resource_properties(template, "Table") == {"TableName": "t"}


def test_the_repository_template_loads() -> None:
    template = load_template(Path(__file__).resolve().parents[2] / "template.yaml")

    assert any(resource["Type"] == "AWS::Serverless::Function" for resource in template["Resources"].values())
