"""A synthetic repository (template, functions, layer) and small helpers for the local stack's tests.

The synthetic functions append what they receive to JSON-lines files in `OutDir` (a template parameter),
so a test can see what the stack delivered without reaching into the functions' modules.
"""

from __future__ import annotations

import http.client
import json
import socket
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  OutDir:
    Type: String
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Greeting:
    Type: String
    Default: halo
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Globals:
  Function:
    Runtime: python3.12
    MemorySize: 128
    Timeout: 5
    Layers: [!Ref HelperLayer]
    Environment:
      Variables:
        OUT_DIR: !Ref OutDir
        ITEMS_TABLE: !Ref ItemsTable
        WORK_QUEUE_URL: !Ref WorkQueue
        GREETING: !Sub "${Greeting}-${AWS::Region}"
Resources:
  HelperLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Variables:
        greeting: !Ref Greeting
      Auth:
        Authorizers:
          AgencyPool:
            UserPoolArn: !GetAtt UserPool.Arn
  UserPool:
    Type: AWS::Cognito::UserPool
  HttpFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/http/
      Handler: app.lambda_handler
      MemorySize: 256
      Events:
        Echo: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/echo/{name}", Method: get}}
        EchoPost: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/echo/{name}", Method: post}}
        Mine: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /echo/mine, Method: get}}
        Binary: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /binary, Method: get}}
        Boom: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /boom, Method: get}}
        Agency:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /agency/me, Method: get, Auth: {Authorizer: AgencyPool}}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/worker/
      Handler: app.lambda_handler
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/tick/
      Handler: app.lambda_handler
      Events:
        EveryMinute:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
  ProdOnlyFunction:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      CodeUri: fn/missing/
      Handler: app.lambda_handler
  ItemsKey:
    Type: AWS::KMS::Key
    Properties:
      Description: synthetic items key
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: status, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: by_status
          KeySchema:
            - {AttributeName: status, KeyType: HASH}
            - {AttributeName: sk, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !Ref ItemsKey}
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn
        maxReceiveCount: 2
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  ProdOnlyQueue:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Sender:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: noreply@example.org
  Uploads:
    Type: AWS::S3::Bucket
  SigningSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Description: generated like the webhook secret
      GenerateSecretString: {PasswordLength: 64, ExcludePunctuation: true}
"""

HTTP_FUNCTION = """
import base64
import json

import helper  # from the layer: proves layers are importable as on Lambda


def lambda_handler(event, context):
    if event["resource"] == "/boom":
        raise RuntimeError("boom")
    if event["resource"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    context_info = {"function_name": context.function_name, "memory": context.memory_limit_in_mb,
                    "remaining": context.get_remaining_time_in_millis()}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Helper": helper.NAME},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"event": event, "context": context_info})}
"""

RECORDING_FUNCTION = """
import json
import os
import time
from pathlib import Path


def record(name, value):
    with (Path(os.environ["OUT_DIR"]) / name).open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(value) + "\\n")
"""

WORKER_FUNCTION = (
    RECORDING_FUNCTION
    + """

def lambda_handler(event, context):
    failures = []
    for record_ in event["Records"]:
        count = int(record_["attributes"]["ApproximateReceiveCount"])
        record("worker.jsonl", {"id": record_["messageId"], "body": record_["body"], "count": count,
                                "at": time.monotonic(), "record": record_})
        if record_["body"] == "raise-once" and count == 1:
            raise RuntimeError("the whole batch fails")
        if record_["body"] == "fail-always" or (record_["body"] == "fail-once" and count == 1):
            failures.append({"itemIdentifier": record_["messageId"]})
    return {"batchItemFailures": failures}
"""
)

TICK_FUNCTION = (
    RECORDING_FUNCTION
    + """

def lambda_handler(event, context):
    record("tick.jsonl", event)
    return {"ok": True}
"""
)


def write_tree(root: Path, template: str = TEMPLATE, functions: dict[str, str] | None = None) -> Path:
    """A repository-like folder: template.yaml, fn/<name>/app.py and a layer."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template, encoding="utf-8")
    code = functions or {"http": HTTP_FUNCTION, "worker": WORKER_FUNCTION, "tick": TICK_FUNCTION}
    for name, source in code.items():
        folder = root / "fn" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (root / "layer").mkdir(exist_ok=True)
    (root / "layer" / "helper.py").write_text('NAME = "from-layer"\n', encoding="utf-8")
    return root


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    """One HTTP request to the local stack with the standard library (no keep-alive)."""
    host_port = url.removeprefix("http://")
    connection = http.client.HTTPConnection(host_port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def lines(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05) -> Any:
    """Poll until `condition()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
