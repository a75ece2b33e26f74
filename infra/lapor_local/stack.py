"""The local stack: `template.yaml` on moto and in-process functions, no Docker.

All functions run in this process and share `os.environ`, so the stack sets one environment for all of
them (and refuses a template where two functions need different values for the same variable). moto keeps
its state per process too, so one local stack runs in a process at a time; it starts and ends with an empty
moto.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from lapor_local.api import ApiGateway, LocalHttpServer, check_api_event, routes_from_template
from lapor_local.atomic import serialized_dynamodb
from lapor_local.devtoken import dev_token_secret
from lapor_local.eventbridge import EventBusForwarder
from lapor_local.functions import LocalFunction
from lapor_local.mail import MailFolder
from lapor_local.resources import AwsClients, CreatedResource, check_resource_types, create_resources
from lapor_local.runtime import DEFAULT_REGION
from lapor_local.schedule import ScheduleRunner, ScheduleSource, parse_rate, schedule_sources, scheduled_event
from lapor_local.signin import PREFIX as SIGN_IN_PREFIX
from lapor_local.signin import LocalSignIn, token_lifetimes
from lapor_local.sqs import SqsPoller, sqs_event_sources
from lapor_local.template import STACK_NAME, Resolver, TemplateError, as_string, load_template, resource_properties
from lapor_local.whatsapp import GraphApiStandIn

log = logging.getLogger("lapor.local")

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
# Only what the stack needs from a function; the rest (Policies ...) may use intrinsics it cannot evaluate.
_FUNCTION_KEYS = ("CodeUri", "Handler", "MemorySize", "Timeout", "Environment", "Events", "Layers")
_JOIN_SECONDS = 3.0
# What each event type of a function may say; anything else (ScheduleV2, a schedule's Input, an SQS event's
# Enabled ...) stops the start instead of being silently left out. A batching window is not waited for:
# the pollers deliver what they receive at once.
_EVENT_PROPERTIES = {
    "Api": {"RestApiId", "Path", "Method", "Auth"},
    # ScalingConfig caps concurrent invocations: the local pollers deliver one batch at a time anyway.
    "SQS": {"Queue", "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "ScalingConfig"},
    "Schedule": {"Schedule", "Description"},
}


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - a URL to print, not a bind


def _forget_layer_clients() -> None:
    """The layer caches its boto3 clients and its settings per process; they would still point at a previous
    stack's moto and resources (its keys' ids)."""
    layer_aws = sys.modules.get("lapor.aws")
    if layer_aws is not None:
        layer_aws.reset_clients()
    layer_config = sys.modules.get("lapor.config")
    if layer_config is not None:
        layer_config.settings.cache_clear()


def _pool_users() -> list[Any]:
    """The local user pool's users as they are now, for the local sign-in page."""
    from lapor.userpool import list_users

    return list_users()


def _tokens_refused_before(sub: str) -> int | None:
    from lapor.store import tokens_refused_before

    return tokens_refused_before(sub)


def check_template(template: Mapping[str, Any]) -> None:
    """Refuse, before anything starts, a resource type or function event the local stack does not emulate."""
    check_resource_types(template)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != FUNCTION_TYPE:
            continue
        for name, event in (resource_properties(template, logical_id).get("Events") or {}).items():
            kind, props = event.get("Type"), event.get("Properties") or {}
            extra = sorted(set(props) - _EVENT_PROPERTIES.get(kind, set()))
            if kind not in _EVENT_PROPERTIES or extra:
                raise TemplateError(
                    f"{logical_id} {name}: the local stack does not support "
                    + (f"{', '.join(extra)} on this event" if kind in _EVENT_PROPERTIES else f"{kind} events")
                )
            if kind == "Api":
                check_api_event(logical_id, name, props)
            elif kind == "Schedule":
                parse_rate(props["Schedule"])


def _ensure_port_free(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is not available for the local AWS endpoint: {error}") from error


STATE_FILE = "local-stack.json"
# The console finds the sign-in endpoint in its environment and its app client id in a stage variable
# (see functions/console and the template's LaporApi).
AUTH_ENV = "CONSOLE_AUTH_URL"
CLIENT_STAGE_VARIABLE = "consoleClientId"


class LocalStack:
    """Runs the template at `root` on a moto server, serves its API and drives its queues and schedules.

    `retry_delay_seconds` stands in for a queue's VisibilityTimeout after a failed delivery;
    `schedule_period_override` (seconds) makes every schedule fire at that period, for tests.
    """

    _active: ClassVar[LocalStack | None] = None
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        root: Path,
        api_port: int = 3000,
        aws_port: int = 4566,
        host: str = "127.0.0.1",
        public_base_url: str | None = None,
        schedules: bool = True,
        retry_delay_seconds: float = 2.0,
        *,
        parameters: Mapping[str, Any] | None = None,
        schedule_period_override: float | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.api_port = api_port
        self.aws_port = aws_port
        self.host = host
        self.public_base_url = public_base_url
        self.schedules = schedules
        self.retry_delay_seconds = retry_delay_seconds
        self.parameters = dict(parameters or {})
        self.schedule_period_override = schedule_period_override
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        self.api_url = ""
        self.aws_url = ""
        self.outputs: dict[str, Any] = {}
        self.resources: list[CreatedResource] = []
        self.functions: dict[str, LocalFunction] = {}
        self.stage_variables: dict[str, dict[str, str]] = {}  # each API's logical id → its resolved Variables
        self.schedule_sources: list[ScheduleSource] = []
        self._resolver: Resolver | None = None
        self._moto: Any = None
        self._http: LocalHttpServer | None = None
        self._serving = False
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._saved_env: dict[str, str | None] = {}
        self._added_paths: list[str] = []
        self._token_secret: str | None = None
        self._atomic = contextlib.ExitStack()
        self.mail: MailFolder | None = None
        self.graph: GraphApiStandIn | None = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> LocalStack:
        """Start moto, create the resources, set the environment, seed, and serve."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        started = time.monotonic()
        with LocalStack._active_lock:
            if LocalStack._active is not None:
                raise RuntimeError("another LocalStack is running in this process; stop it first")
            LocalStack._active = self
        self._stop.clear()
        template = load_template(self.root / "template.yaml")
        check_template(template)
        self._atomic.enter_context(serialized_dynamodb())
        self._start_moto()
        self._set_environment(self._aws_environment())
        sign_in = LocalSignIn(
            self._dev_token_secret,
            _pool_users,
            self._console_client_id,
            self._token_lifetimes(template),
            _tokens_refused_before,
        )
        gateway = ApiGateway([], self.invoke, self._dev_token_secret, sign_in.handle)
        try:
            self._http = LocalHttpServer((self.host, self.api_port), gateway)
        except OSError as error:
            raise OSError(f"{self.host}:{self.api_port} is not available for the API: {error}") from error
        self.api_url = f"http://{_url_host(self.host)}:{self._http.server_address[1]}"

        resolver = Resolver(template, region=self.region, parameters=self.parameters)
        self._resolver = resolver
        aws = AwsClients(self.aws_url, self.region)
        self.resources = create_resources(template, resolver, aws)
        self.outputs = {resource.logical_id: resource.ref for resource in self.resources}

        function_props = {
            logical_id: resolver.resolve({key: props[key] for key in _FUNCTION_KEYS if key in props})
            for logical_id, props in self._function_properties(template, resolver).items()
        }
        environment = {
            **self._function_environment(function_props),
            **self._local_settings(),
            AUTH_ENV: self.api_url + SIGN_IN_PREFIX,
        }
        if environment.get("WHATSAPP_ACCESS_TOKEN_ARN"):
            environment["WHATSAPP_GRAPH_URL"] = self._start_graph(aws, environment)
        self.schedule_sources = schedule_sources(function_props)
        self._set_environment(environment)
        self._add_layers_to_path(template, function_props)
        if "REPORTS_TABLE" in environment:
            self._seed()

        self.functions = {
            logical_id: self._local_function(logical_id, props) for logical_id, props in function_props.items()
        }
        self.stage_variables = {
            logical_id: {name: as_string(value) for name, value in resolver.resolve(variables).items()}
            for logical_id, resource in template["Resources"].items()
            if resource.get("Type") == "AWS::Serverless::Api"
            and resolver.is_active(logical_id)
            and (variables := resource_properties(template, logical_id).get("Variables"))
        }
        self._http.gateway.routes = routes_from_template(template, function_props, self.stage_variables)
        self._start_thread(threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.1}))
        self._serving = True
        sources = sqs_event_sources(function_props)
        for source in sources:
            queue_url = aws("sqs").get_queue_url(QueueName=source.queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
            poller = SqsPoller(
                source, aws("sqs"), queue_url, self.invoke, self.region, self.retry_delay_seconds, self._stop
            )
            self._start_thread(poller)
        # S3's events reach the rules' queues only for a stack that polls them (a bench stack drives them itself).
        if sources and any(r["Type"] == "AWS::Events::Rule" for r in template["Resources"].values()):
            self._start_thread(EventBusForwarder(aws, self.region, self._stop))
        if self.schedules:
            for schedule in self.schedule_sources:
                self._start_thread(ScheduleRunner(schedule, self._fire, self._stop, self.schedule_period_override))
        self.mail = MailFolder(self.state_dir / "mail", self.region, self._stop)
        self._start_thread(self.mail)
        self._write_state_file(environment)
        log.info("local stack ready in %.1f s", time.monotonic() - started)

    def _start_graph(self, aws: AwsClients, environment: Mapping[str, str]) -> str:
        """The stand-in for the WhatsApp Cloud API (`lapor_local.whatsapp`), expecting the template's access token."""
        token_arn = environment["WHATSAPP_ACCESS_TOKEN_ARN"]

        def token() -> str:
            return str(aws("secretsmanager").get_secret_value(SecretId=token_arn)["SecretString"])

        graph = GraphApiStandIn(self.state_dir / "whatsapp", token, environment.get("WHATSAPP_PHONE_NUMBER_ID", ""))
        self.graph = graph.start()
        return graph.url

    @property
    def state_dir(self) -> Path:
        """Where the running stack keeps what other commands and people look at (`.lapor/` by default)."""
        return Path(os.environ.get("LAPOR_STATE_DIR") or self.root / ".lapor")

    def _write_state_file(self, environment: Mapping[str, str]) -> None:
        """Tell `lapor escalate` and friends, in other processes, how to reach this stack."""
        state = {
            "api_url": self.api_url,
            "aws_url": self.aws_url,
            "region": self.region,
            "environment": dict(environment),
            "functions": {logical_id: str(f.code_dir) for logical_id, f in self.functions.items()},
            "pid": os.getpid(),
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _ensure_port_free(self.host, self.aws_port)  # moto's start() would wait forever on a busy port
        moto = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        moto.start()
        self._moto = moto
        self.aws_url = f"http://{_url_host(self.host)}:{moto.get_host_and_port()[1]}"
        self._reset_moto()

    def _reset_moto(self) -> None:
        """Empty moto: its state lives in this process, shared by every moto server and `mock_aws`."""
        request = urllib.request.Request(f"{self.aws_url}/moto-api/reset", method="POST")  # noqa: S310 - http
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
        with opener.open(request, timeout=5) as response:
            response.read()

    @staticmethod
    def _function_properties(template: Mapping[str, Any], resolver: Resolver) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource_properties(template, logical_id)
            for logical_id, resource in template["Resources"].items()
            if resource.get("Type") == FUNCTION_TYPE and resolver.is_active(logical_id)
        }

    def _token_lifetimes(self, template: Mapping[str, Any]) -> tuple[int, int]:
        """The console's app client's ID and refresh token lifetimes, as the template gives them."""
        resolver = Resolver(template, region=self.region, parameters=self.parameters)
        clients = [k for k, r in template["Resources"].items() if r.get("Type") == "AWS::Cognito::UserPoolClient"]
        return token_lifetimes(resolver.resolve(resource_properties(template, clients[0])) if clients else {})

    def _console_client_id(self) -> str:
        """The app client the console signs in with: what the API's stage variable gives the console."""
        return next((v[CLIENT_STAGE_VARIABLE] for v in self.stage_variables.values() if CLIENT_STAGE_VARIABLE in v), "")

    @staticmethod
    def _function_environment(function_props: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """One environment for all functions; two different values for one variable cannot be served."""
        environment: dict[str, str] = {}
        owner: dict[str, str] = {}
        for logical_id, props in function_props.items():
            variables = (props.get("Environment") or {}).get("Variables") or {}
            for name, value in variables.items():
                text = as_string(value)
                if name in environment and environment[name] != text:
                    raise TemplateError(
                        f"{owner[name]} and {logical_id} set {name} to different values "
                        f"({environment[name]!r} and {text!r}); the local stack runs every function in one "
                        "process with one environment"
                    )
                environment[name], owner[name] = text, logical_id
        return environment

    def _local_settings(self) -> dict[str, str]:
        """What only the local stack sets for its functions: its own URL, plain-http webhooks (agencies'
        test receivers on this machine), which a deployment refuses, and a read timeout for moto, which on a
        busy machine answers far slower than DynamoDB."""
        return {
            "PUBLIC_BASE_URL": self.public_base_url or self.api_url,
            "LAPOR_ALLOW_HTTP_WEBHOOKS": "1",
            "LAPOR_AWS_READ_TIMEOUT": "30",
        }

    def _aws_environment(self) -> dict[str, str | None]:
        """Every boto3 client in this process talks to moto, never to a real account (None: unset)."""
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def _set_environment(self, values: Mapping[str, str | None]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _add_layers_to_path(self, template: Mapping[str, Any], function_props: Mapping[str, Any]) -> None:
        """Make local layers importable, as Lambda does with /opt/python."""
        for props in function_props.values():
            for layer in props.get("Layers") or []:
                resource = template["Resources"].get(layer) if isinstance(layer, str) else None
                if not resource or resource.get("Type") != LAYER_TYPE:
                    continue
                content = resource_properties(template, layer).get("ContentUri")
                if not isinstance(content, str):
                    continue
                path = str((self.root / content).resolve())
                if path not in (str(Path(entry).resolve()) for entry in sys.path if entry):
                    sys.path.append(path)
                    self._added_paths.append(path)

    def _seed(self) -> None:
        _forget_layer_clients()
        from lapor_local.seed import seed_directory

        counts = seed_directory()
        log.info("directory seeded into %s: %s", os.environ["REPORTS_TABLE"], counts)
        if os.environ.get("USER_POOL_ID"):
            from lapor_local.seed import seed_officers

            log.info("user pool seeded with %d officers", seed_officers(os.environ["USER_POOL_ID"]))

    def _local_function(self, logical_id: str, props: Mapping[str, Any]) -> LocalFunction:
        code_uri, handler = props.get("CodeUri"), props.get("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str):
            raise TemplateError(f"{logical_id}: the local stack needs a local CodeUri folder and a Handler")
        return LocalFunction(
            logical_id=logical_id,
            code_dir=(self.root / code_uri).resolve(),
            handler=handler,
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_s=float(props.get("Timeout", 3)),
            function_name=f"{STACK_NAME}-{logical_id}",
            region=self.region,
        )

    def _fire(self, source: ScheduleSource, at: datetime) -> Any:
        return self.invoke(source.function, scheduled_event(source, at, self.region, STACK_NAME))

    def _start_thread(self, thread: threading.Thread) -> None:
        thread.daemon = True
        thread.start()
        self._threads.append(thread)

    def _dev_token_secret(self) -> str:
        if self._token_secret is None:
            self._token_secret = dev_token_secret(self.root)
        return self._token_secret

    def stop(self) -> None:
        """Stop serving, polling and scheduling, stop moto, and give the process its environment back."""
        self._stop.set()
        state_file = self.state_dir / STATE_FILE
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state_file.read_text(encoding="utf-8")).get("pid") == os.getpid():
                state_file.unlink()
        self._stop_http()
        graph, self.graph = self.graph, None
        if graph is not None:
            graph.stop()
        for thread in self._threads:
            thread.join(timeout=_JOIN_SECONDS)
        self._threads.clear()
        moto, self._moto = self._moto, None
        if moto is not None:
            with contextlib.suppress(OSError):  # tidiness only: moto goes away next
                self._reset_moto()
            self._stop_moto(moto)
        for function in self.functions.values():
            function.unload()
        for path in self._added_paths:
            if path in sys.path:
                sys.path.remove(path)
        self._added_paths.clear()
        _forget_layer_clients()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        self._atomic.close()
        with LocalStack._active_lock:
            if LocalStack._active is self:
                LocalStack._active = None

    def _stop_moto(self, moto: Any) -> None:
        """Stop moto now: its server looks for a shutdown request only every half second or on a connection."""
        stopper = threading.Thread(target=moto.stop, name="moto-stop", daemon=True)
        stopper.start()
        address = moto.get_host_and_port()
        while stopper.is_alive():
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=0.2):
                pass
            stopper.join(0.02)
        server = getattr(moto, "_server", None)  # ThreadedMotoServer.stop() leaves its socket listening
        if server is not None:
            server.server_close()

    def _stop_http(self) -> None:
        http, self._http = self._http, None
        if http is None:
            return
        if self._serving:
            http.shutdown()
            self._serving = False
        http.close_connections()
        http.server_close()

    def ref(self, logical_id: str) -> Any:
        """What `!Ref <logical_id>` resolves to for a resource the stack created."""
        if logical_id not in self.outputs:
            raise KeyError(f"{logical_id} was not created by the local stack")
        return self.outputs[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """What `!GetAtt <logical_id>.<attribute>` resolves to for a resource the stack created."""
        self.ref(logical_id)
        assert self._resolver is not None
        return self._resolver.get_att(logical_id, attribute)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call a function's handler directly with `event` and a Lambda-like context."""
        if logical_id not in self.functions:
            raise KeyError(f"no function {logical_id!r}; functions: {', '.join(self.functions)}")
        return self.functions[logical_id].invoke(event)

    def run_schedule(self, logical_id: str, at: datetime | None = None) -> Any:
        """Run a function's (first) schedule once now, with the scheduled event's `time` set to `at`."""
        source = next((source for source in self.schedule_sources if source.function == logical_id), None)
        if source is None:
            raise KeyError(f"{logical_id} has no Schedule event")
        moment = at or datetime.now(UTC)
        return self._fire(source, moment if moment.tzinfo else moment.replace(tzinfo=UTC))
