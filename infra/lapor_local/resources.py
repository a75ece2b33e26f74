"""Create the template's tables, queues, keys ... on a moto endpoint, from the template's own properties.

moto's CloudFormation cannot run a SAM template (it silently skips `AWS::Serverless::*` and ignores TTL),
so each resource type of the template that moto can hold has a small creator here, reading the properties
the template sets. Add a type by adding a creator to `CREATORS`; types the local stack stands in for itself
(functions, the API, the layer) or that only matter in AWS are listed in `NOTHING_TO_CREATE`; any other type
stops the start with a TemplateError that names it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lapor_local.eventbridge import bus_queue_arn, create_rule
from lapor_local.template import Resolver, TemplateError, as_string, resource_properties

log = logging.getLogger("lapor.local")

NAME_PREFIX = "lapor"


@dataclass(frozen=True)
class CreatedResource:
    """What the stack created for one logical id: what `Ref` and `Fn::GetAtt` return, and a name to show."""

    logical_id: str
    type: str
    ref: Any
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


_session: Any = None
_session_lock = threading.Lock()


def _shared_session() -> Any:
    """One boto3 session for every AwsClients: it caches the service models that make a client slow to build."""
    global _session
    with _session_lock:
        if _session is None:
            import boto3

            _session = boto3.session.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
            )
        return _session


class AwsClients:
    """boto3 clients bound to the moto endpoint with dummy credentials, created on first use.

    `endpoint_url=None` uses boto3's default endpoint, which is what in-process `moto.mock_aws` intercepts.
    """

    def __init__(self, endpoint_url: str | None, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            session = _shared_session()
            with _session_lock:  # a boto3 session is not thread-safe
                self._clients[service] = session.client(
                    service, endpoint_url=self.endpoint_url, region_name=self.region
                )
        return self._clients[service]


Creator = Callable[[AwsClients, str, dict[str, Any]], CreatedResource]


def _physical_name(logical_id: str) -> str:
    return f"{NAME_PREFIX}-{logical_id}"


def _create_kms_key(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    kms = aws("kms")
    arguments = {"Description": props.get("Description", "")}
    if "KeyPolicy" in props:
        arguments["Policy"] = json.dumps(props["KeyPolicy"])
    metadata = kms.create_key(**arguments)["KeyMetadata"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return CreatedResource(
        logical_id,
        "AWS::KMS::Key",
        ref=metadata["KeyId"],
        name=metadata["KeyId"],
        attributes={"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]},
    )


def _create_dynamodb_table(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    dynamodb = aws("dynamodb")
    name = _physical_name(logical_id)
    arguments: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if "GlobalSecondaryIndexes" in props:
        arguments["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    sse = props.get("SSESpecification")
    if sse:
        arguments["SSESpecification"] = {
            "Enabled": bool(sse.get("SSEEnabled")),
            **{key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse},
        }
    description = dynamodb.create_table(**arguments)["TableDescription"]

    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    recovery = props.get("PointInTimeRecoverySpecification")
    if recovery and recovery.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    attributes = {"Arn": description["TableArn"]}
    return CreatedResource(logical_id, "AWS::DynamoDB::Table", ref=name, name=name, attributes=attributes)


def _create_sqs_queue(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    sqs = aws("sqs")
    # SQS requires a FIFO queue's name to end in .fifo (CloudFormation adds it to the names it makes).
    name = _physical_name(logical_id) + (".fifo" if as_string(props.get("FifoQueue", "false")) == "true" else "")
    # The template's queue properties (VisibilityTimeout, RedrivePolicy ...) are all queue attributes.
    attributes = {
        key: json.dumps(value) if isinstance(value, dict) else as_string(value) for key, value in props.items()
    }
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return CreatedResource(
        logical_id,
        "AWS::SQS::Queue",
        ref=url,
        name=name,
        attributes={"Arn": arn, "QueueName": name, "QueueUrl": url},
    )


def _create_ses_email_identity(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    identity = props["EmailIdentity"]
    aws("ses").verify_email_identity(EmailAddress=identity)
    return CreatedResource(logical_id, "AWS::SES::EmailIdentity", ref=identity, name=identity)


def _create_s3_bucket(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    s3 = aws("s3")
    name = _physical_name(logical_id).lower()
    arguments: dict[str, Any] = {"Bucket": name}
    if aws.region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
    s3.create_bucket(**arguments)
    _configure_bucket(aws, s3, name, props)
    return CreatedResource(
        logical_id,
        "AWS::S3::Bucket",
        ref=name,
        name=name,
        attributes={"Arn": f"arn:aws:s3:::{name}"},
    )


def _configure_bucket(aws: AwsClients, s3: Any, name: str, props: dict[str, Any]) -> None:
    """The bucket's settings that moto keeps: public access block, encryption, lifecycle, CORS, notifications
    (to queues, and to EventBridge through `lapor_local.eventbridge`)."""
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    encryption = props.get("BucketEncryption")
    if encryption:
        rules = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in lifecycle["Rules"]]}
        )
    cors = props.get("CorsConfiguration")
    if cors:
        spelling = {"Id": "ID", "MaxAge": "MaxAgeSeconds"}
        rules = [{spelling.get(k, k): v for k, v in rule.items()} for rule in cors["CorsRules"]]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    notification = props.get("NotificationConfiguration") or {}
    queues = [
        {
            "QueueArn": config["Queue"],
            "Events": [config["Event"]],
            **({"Filter": {"Key": {"FilterRules": config["Filter"]["S3Key"]["Rules"]}}} if "Filter" in config else {}),
        }
        for config in notification.get("QueueConfigurations", [])
    ]
    if (notification.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
        # moto's own EventBridge path skips input transformers: the local stand-in bus carries the events.
        queues.append({"QueueArn": bus_queue_arn(aws), "Events": ["s3:ObjectCreated:*"]})
    if queues:
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": queues})


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's spelling of a lifecycle rule in S3's API spelling."""
    result: dict[str, Any] = {
        "ID": rule.get("Id", ""),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        result["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        result["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return result


def _create_bucket_policy(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    # moto enforces statements for Principal "*" but ignores their conditions: a conditional Deny (such as
    # TLS only) would deny everything there, so only unconditional statements are given to it.
    document = dict(props["PolicyDocument"])
    document["Statement"] = [s for s in document.get("Statement", []) if "Condition" not in s]
    skipped = len(props["PolicyDocument"].get("Statement", [])) - len(document["Statement"])
    if skipped:
        log.debug("%s: %d conditional statement(s) not applied locally", logical_id, skipped)
    if document["Statement"]:
        aws("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
    return CreatedResource(logical_id, "AWS::S3::BucketPolicy", ref=props["Bucket"], name=props["Bucket"])


def _create_queue_policy(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    policy = json.dumps(props["PolicyDocument"])
    for queue_url in props["Queues"]:
        aws("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
    return CreatedResource(logical_id, "AWS::SQS::QueuePolicy", ref=logical_id, name=logical_id)


def _create_events_rule(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    name = _physical_name(logical_id)
    arn = create_rule(aws, logical_id, props, name)
    return CreatedResource(logical_id, "AWS::Events::Rule", ref=name, name=name, attributes={"Arn": arn})


def _create_secret(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    secrets = aws("secretsmanager")
    name = _physical_name(logical_id)
    # GenerateSecretString's options (PasswordLength, ExcludePunctuation ...) are get_random_password's.
    value = secrets.get_random_password(**props["GenerateSecretString"])["RandomPassword"]
    arn = secrets.create_secret(Name=name, Description=props.get("Description", ""), SecretString=value)["ARN"]
    return CreatedResource(logical_id, "AWS::SecretsManager::Secret", ref=arn, name=name, attributes={"Id": arn})


def _create_user_pool(aws: AwsClients, logical_id: str, props: dict[str, Any]) -> CreatedResource:
    """The officers' pool with the template's sign-in attribute and custom attributes, so that the administrators'
    function and the local sign-in work on real users (MFA and the threat protection plan only matter in AWS)."""
    kept = ("UsernameAttributes", "AutoVerifiedAttributes", "AdminCreateUserConfig", "Schema")
    pool = aws("cognito-idp").create_user_pool(
        PoolName=props.get("UserPoolName") or _physical_name(logical_id), **{k: props[k] for k in kept if props.get(k)}
    )["UserPool"]
    attributes = {"Arn": pool["Arn"], "UserPoolId": pool["Id"], "ProviderName": f"cognito-idp/{pool['Id']}"}
    return CreatedResource(
        logical_id, "AWS::Cognito::UserPool", ref=pool["Id"], name=pool["Name"], attributes=attributes
    )


CREATORS: dict[str, Creator] = {
    "AWS::KMS::Key": _create_kms_key,
    "AWS::DynamoDB::Table": _create_dynamodb_table,
    "AWS::SQS::Queue": _create_sqs_queue,
    "AWS::SES::EmailIdentity": _create_ses_email_identity,
    "AWS::S3::Bucket": _create_s3_bucket,
    "AWS::S3::BucketPolicy": _create_bucket_policy,
    "AWS::SQS::QueuePolicy": _create_queue_policy,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Events::Rule": _create_events_rule,
    "AWS::Cognito::UserPool": _create_user_pool,
}

# The local stack stands in for these itself (it runs the functions and serves the API) or they only
# matter in AWS (log groups, alarms and the topic they email, the web firewall in front of the API, the user
# pool's app client, domain and branding: the local sign-in stands in for its managed login).
NOTHING_TO_CREATE = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Serverless::Api",
        "AWS::Serverless::LayerVersion",
        "AWS::Logs::LogGroup",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolDomain",
        "AWS::Cognito::ManagedLoginBranding",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
    }
)


def _references(value: Any, names: Mapping[str, Any]) -> Iterator[str]:
    """Logical ids that `value` refers to through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item, names)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and argument in names:
                yield argument
            elif key == "Fn::GetAtt" and argument[0] in names:
                yield argument[0]
            elif key == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                for variable in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    if variable.split(".", 1)[0] in names:
                        yield variable.split(".", 1)[0]
            yield from _references(argument, names)


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """All logical ids, each after the resources it refers to (template order otherwise)."""
    resources: Mapping[str, Any] = template["Resources"]
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        explicit = resource.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else explicit
        properties = dict(resource.get("Properties") or {})
        if resource.get("Type") == "AWS::Serverless::Api":
            # SAM puts an API's Variables on its stage, which depends on the API: they may name what names the API.
            properties.pop("Variables", None)
        depends[logical_id] = (set(_references(properties, resources)) | set(explicit)) - {logical_id}
    order: list[str] = []
    while len(order) < len(resources):
        ready = [name for name in resources if name not in order and depends[name] <= set(order)]
        if not ready:
            stuck = sorted(name for name in resources if name not in order)
            raise TemplateError(f"circular references between {', '.join(stuck)}")
        order.append(ready[0])
    return order


def check_resource_types(template: Mapping[str, Any]) -> None:
    """Refuse a resource type that has no creator and is not stood in for."""
    unknown = sorted(
        f"{logical_id} ({resource['Type']})"
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] not in CREATORS and resource["Type"] not in NOTHING_TO_CREATE
    )
    if unknown:
        raise TemplateError(f"resource types the local stack does not support: {', '.join(unknown)}")


def create_resources(template: Mapping[str, Any], resolver: Resolver, aws: AwsClients) -> list[CreatedResource]:
    """Create every resource moto can hold, in dependency order, and register its Ref/GetAtt values."""
    check_resource_types(template)
    created: list[CreatedResource] = []
    for logical_id in creation_order(template):
        resource_type = template["Resources"][logical_id]["Type"]
        if resource_type in NOTHING_TO_CREATE or not resolver.is_active(logical_id):
            continue
        properties = resolver.resolve(resource_properties(template, logical_id))
        resource = CREATORS[resource_type](aws, logical_id, properties)
        resolver.register(logical_id, resource.ref, resource.attributes)
        created.append(resource)
    return created
