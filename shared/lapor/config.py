"""Configuration: the one module that reads the environment. The deployment's settings are read once and
validated (the checks fit in `_int`); what the Lambda runtime sets is read as it is needed (`Runtime`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from lapor.errors import ConfigurationError


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything a function may need to know about its deployment."""

    reports_table: str
    idempotency_table: str
    events_queue_url: str
    field_key_id: str
    public_base_url: str
    time_zone: str
    verify_working_days: int
    respond_working_days: int
    auto_close_working_days: int
    max_total_days: int
    idempotency_ttl_seconds: int
    outbox_grace_seconds: int
    directory_cache_seconds: int
    reporter_messages_per_day: int
    reporter_messages_per_report: int
    sender_email: str
    webhook_secret_arn: str
    link_base_url: str
    photos_bucket: str
    photo_key_id: str
    open311_jurisdiction_id: str
    user_pool_id: str  # the agency officers' Cognito user pool (the administrators' function only)
    outbox_max_attempts: int
    allow_http_webhooks: bool
    console_auth_url: str
    privacy_contact_email: str
    personal_data_retention_days: int
    audit_retention_days: int
    whatsapp_queue_url: str = ""
    whatsapp_app_secret_arn: str = ""
    whatsapp_access_token_arn: str = ""
    whatsapp_verify_token_arn: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_graph_version: str = "v21.0"
    whatsapp_graph_url: str = "https://graph.facebook.com"
    whatsapp_update_template: str = "lapor_status_update"
    whatsapp_reports_per_day: int = 5
    whatsapp_messages_per_hour: int = 60

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read and check the environment; unknown time zones and bad numbers fail loudly at start."""
        env = dict(os.environ if env is None else env)
        time_zone = env.get("LAPOR_TIME_ZONE", "").strip() or "Asia/Jakarta"
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(time_zone)
        except Exception as exc:
            raise ConfigurationError(f"LAPOR_TIME_ZONE is not a known time zone: {time_zone!r}") from exc
        return cls(
            reports_table=env.get("REPORTS_TABLE", "lapor-ReportsTable"),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", "lapor-IdempotencyTable"),
            events_queue_url=env.get("EVENTS_QUEUE_URL", ""),
            field_key_id=env.get("FIELD_KEY_ID", ""),
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            time_zone=time_zone,
            verify_working_days=_int(env, "LAPOR_VERIFY_WORKING_DAYS", 3),
            respond_working_days=_int(env, "LAPOR_RESPOND_WORKING_DAYS", 5),
            auto_close_working_days=_int(env, "LAPOR_AUTO_CLOSE_WORKING_DAYS", 10),
            max_total_days=_int(env, "LAPOR_MAX_TOTAL_DAYS", 60),
            idempotency_ttl_seconds=_int(env, "LAPOR_IDEMPOTENCY_TTL_SECONDS", 24 * 3600),
            outbox_grace_seconds=_int(env, "LAPOR_OUTBOX_GRACE_SECONDS", 120),
            directory_cache_seconds=_int(env, "LAPOR_DIRECTORY_CACHE_SECONDS", 300, minimum=0),
            # What a reporter (or anyone holding the code) may send: enough for a conversation, not a flood.
            reporter_messages_per_day=_int(env, "LAPOR_REPORTER_MESSAGES_PER_DAY", 20),
            reporter_messages_per_report=_int(env, "LAPOR_REPORTER_MESSAGES_PER_REPORT", 200),
            sender_email=env.get("SENDER_EMAIL", "").strip(),
            webhook_secret_arn=env.get("WEBHOOK_SECRET_ARN", "").strip(),
            # Links in notifications: the public origin, else the API's own URL (set by the template).
            link_base_url=(env.get("PUBLIC_BASE_URL", "").strip() or env.get("API_URL", "").strip()).rstrip("/"),
            photos_bucket=env.get("PHOTOS_BUCKET", "").strip(),
            user_pool_id=env.get("USER_POOL_ID", "").strip(),
            photo_key_id=env.get("PHOTO_KEY_ID", "").strip(),
            open311_jurisdiction_id=env.get("OPEN311_JURISDICTION_ID", "").strip() or "baritoutarakab.go.id",
            # Relay rounds for a report's pending events before they are left for an operator (`lapor outbox`).
            outbox_max_attempts=_int(env, "LAPOR_OUTBOX_MAX_ATTEMPTS", 8),
            # Plain-http webhooks are for the local stack only, which sets this; deployments never do.
            allow_http_webhooks=env.get("LAPOR_ALLOW_HTTP_WEBHOOKS", "").strip() == "1",
            console_auth_url=env.get("CONSOLE_AUTH_URL", "").strip().rstrip("/"),  # the user pool's managed login
            # The data protection officer's address, on the privacy notice (the template's PrivacyContactEmail).
            privacy_contact_email=env.get("PRIVACY_CONTACT_EMAIL", "").strip() or "privasi@example.go.id",
            # Days a closed or rejected report keeps its personal data, and an audit entry lives (issue 23).
            personal_data_retention_days=_int(env, "LAPOR_PERSONAL_DATA_RETENTION_DAYS", 365),
            audit_retention_days=_int(env, "LAPOR_AUDIT_RETENTION_DAYS", 1825),
            # WhatsApp Business Cloud API (issue 25): the inbound queue, the three secrets Meta gives (app
            # secret, access token) or the operator chooses (verify token), and where replies go.
            whatsapp_queue_url=env.get("WHATSAPP_QUEUE_URL", "").strip(),
            whatsapp_app_secret_arn=env.get("WHATSAPP_APP_SECRET_ARN", "").strip(),
            whatsapp_access_token_arn=env.get("WHATSAPP_ACCESS_TOKEN_ARN", "").strip(),
            whatsapp_verify_token_arn=env.get("WHATSAPP_VERIFY_TOKEN_ARN", "").strip(),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", "").strip(),
            whatsapp_graph_version=env.get("WHATSAPP_GRAPH_VERSION", "").strip() or "v21.0",
            # Only the local stack points this elsewhere (its stand-in for the Graph API).
            whatsapp_graph_url=(env.get("WHATSAPP_GRAPH_URL", "").strip() or "https://graph.facebook.com").rstrip("/"),
            whatsapp_update_template=env.get("WHATSAPP_UPDATE_TEMPLATE", "").strip() or "lapor_status_update",
            whatsapp_reports_per_day=_int(env, "LAPOR_WHATSAPP_REPORTS_PER_DAY", 5),
            whatsapp_messages_per_hour=_int(env, "LAPOR_WHATSAPP_MESSAGES_PER_HOUR", 60),
        )


@dataclass(frozen=True)
class Runtime:
    """What the Lambda runtime (or the local stack) sets, read anew when asked: logging and the AWS clients
    need it at import, before (and whatever becomes of) a valid configuration."""

    service: str
    metrics_namespace: str
    log_level: str
    region: str
    s3_endpoint: str  # only the local stack's (moto) has one
    aws_read_timeout: float  # the local stack's moto, sharing two cores with tests, can be far slower than DynamoDB
    trace_id: str | None  # the invocation's X-Ray trace


def runtime() -> Runtime:
    env = os.environ
    return Runtime(
        service=env.get("POWERTOOLS_SERVICE_NAME", "lapor"),
        metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "Lapor"),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        s3_endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "",
        aws_read_timeout=float(env.get("LAPOR_AWS_READ_TIMEOUT") or 3),
        trace_id=env.get("_X_AMZN_TRACE_ID", "").split(";")[0].removeprefix("Root=") or None,
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, read on first use (never at import time)."""
    return Settings.from_env()
