"""Settings read from the environment, the same way in tests, `make run` and production."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contracts import Topics

SERVICE_PORTS = {"meetings": 8101, "oversight": 8102, "reporting": 8103}
"""Each service's HTTP port on one machine: `python -m services.<name>`, `hdnd serve`, `hdnd run`
and the proxy in front of them."""


PUBLIC_PATHS = {"meetings": "/meetings", "oversight": "/oversight", "reporting": ""}
"""Where each service lives under the one origin the proxy serves (deploy/Caddyfile): the
browser reaches every service there, so the pages need no other origin and no CORS."""


def _if_dir(path: Path) -> Path | None:
    return path.resolve() if path.is_dir() else None


class Settings(BaseSettings):
    """Everything a service needs to reach its servers and know which units it serves."""

    model_config = SettingsConfigDict(env_prefix="HDND_", extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27117/?replicaSet=rs0",
        validation_alias=AliasChoices("MONGODB_URI", "mongodb_uri"),
    )
    mongodb_secrets_dir: Path | None = Field(
        default_factory=lambda: _if_dir(Path(".local/secrets/mongodb")),
        description="HDND_MONGODB_SECRETS_DIR: one file per MongoDB user, named after it, holding"
        " its password; a service signs in as its own user (`meetings`, …), operator tools as"
        " `operator`. A container is given only its own file. Default: the local stack's"
        " (.local/secrets/mongodb) when it exists; unset: MONGODB_URI as it is.",
    )
    # Kafka's clients (README, "Keys and secrets"): compose's brokers take SASL_SSL with one
    # SCRAM principal per service; the local broker (noida-db) only PLAINTEXT.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="HDND_KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="HDND_KAFKA_SASL_MECHANISM"
    )
    kafka_username: str | None = Field(
        default=None, description="HDND_KAFKA_USERNAME: this process's principal (SASL)."
    )
    kafka_password_file: Path | None = Field(
        default=None, description="HDND_KAFKA_PASSWORD_FILE: a file holding its password."
    )
    kafka_ca_file: Path | None = Field(
        default=None,
        description="HDND_KAFKA_CA_FILE: the CA (PEM) the brokers' certificates are checked"
        " against (SSL, SASL_SSL); unset: the system's.",
    )
    units: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="HDND_UNITS: comma-separated unit codes this instance serves (and below).",
    )
    database_prefix: str = Field(
        default="hdnd", description="Each service uses <prefix>_<service>."
    )
    topic_prefix: str = ""
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication: int = Field(
        default=1,
        ge=1,
        description="HDND_TOPIC_REPLICATION: replicas of a topic a service creates (compose: 3;"
        " noida-db has one broker).",
    )
    instance: str = Field(default_factory=socket.gethostname)
    log_level: str = "info"
    keys_dir: Path | None = Field(
        default=None,
        description="HDND_KEYS_DIR: the private keys this instance signs with (private/<unit>.pem,"
        " registry/<scope>.pem) and, unless HDND_PUBLIC_KEYS_DIR says otherwise, public/.",
    )
    public_keys_dir: Path | None = Field(
        default=None,
        description="HDND_PUBLIC_KEYS_DIR: the registered public keys (default: HDND_KEYS_DIR"
        "/public).",
    )
    require_signatures: bool = Field(
        default=True, description="Consumers dead-letter events without a valid signature."
    )
    # Access tokens (README, "Authorization"): one issuer per deployment, in reporting.
    issuer_keys_dir: Path | None = Field(
        default=None,
        description="HDND_ISSUER_KEYS_DIR: the token issuer's keys (private/<kid>.pem,"
        " public/<kid>.json); only the reporting instance that signs people in has it.",
    )
    issuer_url: str = Field(
        default=f"http://127.0.0.1:{SERVICE_PORTS['reporting']}",
        description="HDND_ISSUER_URL: where services reach the token issuer (reporting): its"
        " JWKS and its revocation list (/auth/revoked).",
    )
    token_issuer: str | None = Field(
        default=None,
        description="HDND_TOKEN_ISSUER: the tokens' `iss` (default hdnd-<units served>).",
    )
    token_audience: str = Field(default="hdnd", description="HDND_TOKEN_AUDIENCE: `aud`.")
    token_jwks_url: str | None = Field(
        default=None,
        description="HDND_TOKEN_JWKS_URL: the issuer's public keys (default HDND_ISSUER_URL"
        " + /.well-known/jwks.json).",
    )
    token_jwks_file: Path | None = Field(
        default=None,
        description="HDND_TOKEN_JWKS_FILE: the issuer's public keys from a file instead"
        " (tests, air-gapped instances); read again every poll.",
    )
    revocation_poll_ms: int = Field(
        default=2000,
        ge=100,
        description="HDND_REVOCATION_POLL_MS: how often a service fetches the issuer's keys"
        " and revocations: a sign-out or a disabled account is refused within this.",
    )
    access_token_minutes: int = Field(
        default=15, ge=1, le=15, description="HDND_ACCESS_TOKEN_MINUTES: people's access tokens."
    )
    session_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 30,
        description="HDND_SESSION_HOURS: a sign-in lasts this long (refreshed every"
        " few minutes through the refresh cookie), then the person signs in again.",
    )
    # Single sign-on (README, "Single sign-on (OIDC)"): the province's OpenID provider.
    oidc_issuer: str | None = Field(
        default=None,
        description="HDND_OIDC_ISSUER: the provider's issuer URL (its ID tokens' `iss`); unset"
        " or empty: no single sign-on.",
    )
    oidc_discovery_url: str | None = Field(
        default=None,
        description="HDND_OIDC_DISCOVERY_URL: where reporting reads the provider's discovery"
        " document (default: the issuer + /.well-known/openid-configuration); compose: the"
        " provider's address inside the network.",
    )
    oidc_client_id: str = Field(default="hdnd", description="HDND_OIDC_CLIENT_ID")
    oidc_client_secret_file: Path | None = Field(
        default=None,
        description="HDND_OIDC_CLIENT_SECRET_FILE: a file holding the client's secret (unset:"
        " a public client, PKCE alone).",
    )
    oidc_scopes: str = Field(default="openid profile", description="HDND_OIDC_SCOPES")
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="HDND_OIDC_USERNAME_CLAIM: the claim an hdnd account's username is matched"
        " with at a person's first sign-in (one people cannot change themselves).",
    )
    oidc_name_claim: str = Field(default="name", description="HDND_OIDC_NAME_CLAIM: họ và tên.")
    oidc_unit_claim: str = Field(
        default="hdnd_unit", description="HDND_OIDC_UNIT_CLAIM: the unit code."
    )
    oidc_role_claim: str = Field(
        default="hdnd_role",
        description="HDND_OIDC_ROLE_CLAIM: the role, or groups mapped by HDND_OIDC_ROLES.",
    )
    oidc_roles: dict[str, Literal["secretary", "viewer", "admin"]] = Field(
        default_factory=dict,
        description="HDND_OIDC_ROLES: JSON, the provider's values of the role claim → hdnd"
        ' roles, e.g. {"hdnd-thu-ky": "secretary"}; empty: the claim names the role itself.'
        " Never operator.",
    )
    oidc_provision: bool = Field(
        default=False,
        description="HDND_OIDC_PROVISION=true: the provider administers its people's accounts"
        " (made at the first sign-in, unit, role and name following the claims); false: an"
        " admin makes the account, the claims must agree with it.",
    )
    follow_hierarchy: bool = Field(
        default=True,
        description="HDND_FOLLOW_HIERARCHY: apply hierarchy changes from the hierarchy topic.",
    )
    # noida-db answers empty fetches at once; pausing caught-up partitions keeps idle CPU near 0.
    idle_backoff_ms: int = Field(default=200, ge=0)
    consumer_batch: int = Field(default=2000, ge=1)
    flush_interval_ms: int = Field(
        default=100,
        ge=0,
        description="HDND_FLUSH_INTERVAL_MS: while behind, the projector writes what it folded"
        " at most this often (a write carries many batches); once it has read everything there"
        " is, a write starts as soon as the one in flight is done.",
    )
    flush_events: int = Field(
        default=5_000,
        ge=1,
        description="HDND_FLUSH_EVENTS: records folded in memory before the projector writes"
        " them whatever the interval, and waits for that write before folding more.",
    )
    consumer_group: str | None = Field(
        default=None,
        description="HDND_CONSUMER_GROUP: instances with the same value share the partitions "
        "(Kafka group `<value>.<consumer>`); unset: one instance reads every partition.",
    )
    relay: bool = Field(
        default=True,
        description="HDND_RELAY=false: this process publishes none of the outbox; another one"
        " does (several HTTP worker processes of one instance share one relay).",
    )
    relay_batch: int = Field(default=500, ge=1)
    outbox_retention_days: float = Field(
        default=30,
        gt=0,
        description="HDND_OUTBOX_RETENTION_DAYS: published outbox rows older than this are"
        " deleted (the topics keep the events; rows may hold opinion texts, petition summaries).",
    )
    fault_delay_before_mark_ms: int = Field(
        default=0,
        ge=0,
        description="Fault injection for tests and soak runs: wait this long between the"
        " broker's ack and marking outbox rows sent. Always 0 in production.",
    )
    relay_poll_ms: int = Field(default=250, ge=10)
    # Sizes (README, "Sizes"): what keeps one large record from stalling the instance.
    request_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="HDND_REQUEST_MAX_BYTES: a request body over this answers 413 unread.",
    )
    event_max_bytes: int = Field(
        default=512 * 1024,
        ge=1024,
        description="HDND_EVENT_MAX_BYTES: a write whose event would be larger (serialized"
        " envelope) is refused with 422 naming its largest part; keep it well under what the"
        " broker takes (message.max.bytes, 1 MiB by default). Never more than"
        " kafka_max_request_bytes less 1 KiB.",
    )
    kafka_max_request_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="HDND_KAFKA_MAX_REQUEST_BYTES: the producer's max_request_size; a record"
        " larger than this (or than the broker takes) is parked, not retried forever.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="HDND_CORS_ORIGINS: comma-separated origins whose pages may call this"
        " service from a browser; none by default: behind the proxy the pages and every"
        " service share one origin. Only where browsers reach services on their own ports.",
    )
    api_docs: bool = Field(
        default=True,
        description="HDND_API_DOCS=false: no /docs or /redoc pages (production); the OpenAPI"
        " document stays, the workspace's forms are drawn from it.",
    )
    meetings_url: str = Field(
        default=PUBLIC_PATHS["meetings"],
        description="HDND_MEETINGS_URL: where browsers reach the meetings service (a path"
        " under the proxy's origin, or another origin allowed by its HDND_CORS_ORIGINS).",
    )
    oversight_url: str = Field(
        default=PUBLIC_PATHS["oversight"],
        description="HDND_OVERSIGHT_URL: where browsers reach the oversight service.",
    )
    public_page: bool = Field(
        default=True,
        description="HDND_PUBLIC_PAGE=false: no public page for voters (/cong-khai/: 404).",
    )
    public_page_per_minute: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="HDND_PUBLIC_PAGE_PER_MINUTE: requests to the public page one client"
        " address may make in a minute (then 429 until the minute has passed).",
    )
    # Webhooks (README, "Webhooks"): deliveries to other systems, from reporting.
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="HDND_WEBHOOK_ALLOWED_NETWORKS: comma-separated networks (CIDR) a webhook"
        " receiver may be on besides public addresses, over http:// too (the province's own"
        " network; tests: 127.0.0.0/8). None by default: loopback, private and link-local"
        " addresses are refused.",
    )
    webhook_max_tries: int = Field(
        default=12, ge=1, le=100, description="HDND_WEBHOOK_MAX_TRIES: then dead-lettered."
    )
    webhook_backoff_ms: int = Field(
        default=10_000,
        ge=1,
        description="HDND_WEBHOOK_BACKOFF_MS: the wait after the first failed try, doubled"
        " after each next one (with jitter), up to HDND_WEBHOOK_BACKOFF_MAX_MS.",
    )
    webhook_backoff_max_ms: int = Field(default=3_600_000, ge=1)
    webhook_timeout_ms: int = Field(
        default=10_000, ge=100, description="HDND_WEBHOOK_TIMEOUT_MS: one try's time limit."
    )
    webhook_poll_ms: int = Field(
        default=1_000, ge=10, description="HDND_WEBHOOK_POLL_MS: how often due retries are sought."
    )

    # Deadlines and notifications (README, "Deadlines that remind"): services/reporting.
    clock_file: Path | None = Field(
        default=None,
        description="HDND_CLOCK_FILE (tests only): a file holding the ISO date-time that is"
        " 'now' for deadlines and notifications, read at every look; unset: the system clock.",
    )
    notify: bool = Field(
        default=True,
        description="HDND_NOTIFY=false: this reporting process sends no reminders, escalations"
        " or e-mail (another process of the instance does: one notifier an instance).",
    )
    notify_interval_ms: int = Field(
        default=60_000, ge=10, description="HDND_NOTIFY_INTERVAL_MS: how often deadlines are swept."
    )
    notify_fault_pause_after: int = Field(
        default=0,
        ge=0,
        description="Fault injection for tests: after deciding this many notices, a sweep waits"
        " an hour (a process to kill mid-sweep). Always 0 in production.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8100",
        description="HDND_PUBLIC_URL: where people open the workspace; links in e-mails.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="HDND_SMTP_HOST: the SMTP relay e-mail goes through; unset: none is sent"
        " (the workspace still shows every notification). `make run` starts a local sink.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="HDND_SMTP_PORT")
    smtp_starttls: bool = Field(default=False, description="HDND_SMTP_STARTTLS: upgrade with TLS.")
    smtp_username: str | None = Field(default=None, description="HDND_SMTP_USERNAME")
    smtp_password_file: Path | None = Field(
        default=None, description="HDND_SMTP_PASSWORD_FILE: a file holding the SMTP password."
    )
    mail_from: str = Field(
        default="HĐND <thong-bao@hdnd.local>", description="HDND_MAIL_FROM: the sender."
    )
    mail_sink_dir: Path | None = Field(
        default=None,
        description="HDND_MAIL_SINK_DIR: the local SMTP sink's mailbox (Maildir), which an"
        " operator reads in the workspace (Hộp thư thử nghiệm) and with `hdnd mail`.",
    )

    @field_validator("units", "cors_origins", "webhook_allowed_networks", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [u.strip() for u in value.split(",") if u.strip()]
        return value

    @field_validator("oidc_issuer", "oidc_discovery_url", "oidc_client_secret_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Compose passes `${HDND_OIDC_ISSUER:-}` as an empty string: no single sign-on."""
        return None if value == "" else value

    def environment(self) -> dict[str, str]:
        """The environment variables that give another process exactly these settings."""
        aliases = {
            "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
            "mongodb_uri": "MONGODB_URI",
        }
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list | tuple):
                value = ",".join(map(str, value))
            elif isinstance(value, dict):
                value = json.dumps(value)
            env[aliases.get(name, f"HDND_{name.upper()}")] = str(value)
        return env

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    @property
    def token_issuer_name(self) -> str:
        """The `iss` of this deployment's tokens: HDND_TOKEN_ISSUER, else hdnd-<units>."""
        return self.token_issuer or "-".join(["hdnd", *sorted(self.units)])

    @property
    def public_keys(self) -> Path | None:
        """Where the registered public keys are, if anywhere."""
        if self.public_keys_dir is not None:
            return self.public_keys_dir
        return self.keys_dir / "public" if self.keys_dir is not None else None

    def database_for(self, service: str) -> str:
        return f"{self.database_prefix}_{service}"
