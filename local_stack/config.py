"""The local stack's settings, read once from ``FILESTORE_*`` environment variables."""

from __future__ import annotations

import itertools
import math
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_HOST = "127.0.0.1"
DEFAULT_API_PORT = 3000
DEFAULT_S3_PORT = 4566
DEFAULT_WEB_PORT = 8080
# As `sam local start-lambda`: boto3 reaches it with AWS_ENDPOINT_URL_LAMBDA.
DEFAULT_LAMBDA_PORT = 3001
DEFAULT_DATA_DIR_NAME = ".filestore"
# The variables choosing the stack's ports, with their defaults.
PORT_DEFAULTS = {
    "FILESTORE_API_PORT": DEFAULT_API_PORT,
    "FILESTORE_S3_PORT": DEFAULT_S3_PORT,
    "FILESTORE_WEB_PORT": DEFAULT_WEB_PORT,
    "FILESTORE_LAMBDA_PORT": DEFAULT_LAMBDA_PORT,
}
PORT_TAKEN = "cannot listen on port"  # how the stack's one line on a taken port starts


class ConfigError(ValueError):
    """An environment variable holds a value the local stack cannot use."""


@dataclass(frozen=True)
class LocalConfig:
    """Everything the local stack needs to know before it reads the template."""

    host: str = DEFAULT_HOST
    api_port: int = DEFAULT_API_PORT
    s3_port: int = DEFAULT_S3_PORT
    web_port: int = DEFAULT_WEB_PORT
    lambda_port: int = DEFAULT_LAMBDA_PORT
    api_key: str = ""
    api_key_generated: bool = False
    params: Mapping[str, str] = field(default_factory=dict)
    # Local-only knob: divide every Schedule interval by this factor (1 = real rate).
    schedule_speedup: float = 1.0
    project_root: Path = PROJECT_ROOT
    # Where S3 objects, DynamoDB items and pending events are kept; None keeps all in memory.
    data_dir: Path | None = None

    @property
    def template_path(self) -> Path:
        return self.project_root / "template.yaml"


def load_config(environ: Mapping[str, str], project_root: Path = PROJECT_ROOT) -> LocalConfig:
    """Build the configuration from ``environ``; raise ``ConfigError`` naming the bad variable."""
    api_key = environ.get("FILESTORE_API_KEY", "").strip()
    generated = not api_key
    if generated:
        api_key = generate_api_key()
    elif len(api_key) < 20:
        # API Gateway rejects API key values shorter than 20 characters.
        raise ConfigError(
            "FILESTORE_API_KEY must be at least 20 characters, as API Gateway requires"
        )
    ports = {name: _port(environ, name, default) for name, default in PORT_DEFAULTS.items()}
    _require_distinct(ports)
    return LocalConfig(
        host=environ.get("FILESTORE_HOST", "").strip() or DEFAULT_HOST,
        api_port=ports["FILESTORE_API_PORT"],
        s3_port=ports["FILESTORE_S3_PORT"],
        web_port=ports["FILESTORE_WEB_PORT"],
        lambda_port=ports["FILESTORE_LAMBDA_PORT"],
        api_key=api_key,
        api_key_generated=generated,
        params=parse_params(environ.get("FILESTORE_PARAMS", "")),
        schedule_speedup=_speedup(environ.get("FILESTORE_SCHEDULE_SPEEDUP", "")),
        project_root=project_root,
        data_dir=_data_dir(environ, project_root),
    )


def generate_api_key() -> str:
    """A random API key of the length and alphabet API Gateway generates (40 characters)."""
    return secrets.token_urlsafe(30)[:40]


def parse_params(line: str) -> dict[str, str]:
    """Split ``Name=Value`` template parameter overrides like a shell line."""
    try:
        words = shlex.split(line)
    except ValueError as err:
        raise ConfigError(f"FILESTORE_PARAMS is not a valid shell line: {err}") from err
    params: dict[str, str] = {}
    for index, word in enumerate(words):
        name, sep, value = word.partition("=")
        if sep and name.isidentifier():
            params[name] = value
            continue
        if params:
            # Most likely a value with a space, split in two: say how to keep it whole.
            loose = itertools.takewhile(lambda part: "=" not in part, words[index:])
            whole = shlex.quote(" ".join([words[index - 1], *loose]))
            raise ConfigError(
                f"FILESTORE_PARAMS: expected Name=Value, got {word!r}; a value with spaces "
                f"must be quoted as one word, like {whole}"
            )
        raise ConfigError(f"FILESTORE_PARAMS: expected Name=Value, got {word!r}")
    return params


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError as err:
        raise ConfigError(f"{name} must be a port number, got {raw!r}") from err
    if not 0 < port < 65536:
        raise ConfigError(f"{name} must be between 1 and 65535, got {port}")
    return port


def _require_distinct(ports: Mapping[str, int]) -> None:
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port in seen:
            raise ConfigError(f"{seen[port]} and {name} are both {port}; each needs its own port")
        seen[port] = name


def _data_dir(environ: Mapping[str, str], project_root: Path) -> Path | None:
    """``FILESTORE_DATA_DIR``: unset keeps data in ``.filestore/``, empty keeps it in memory."""
    if "FILESTORE_DATA_DIR" not in environ:
        return project_root / DEFAULT_DATA_DIR_NAME
    raw = environ["FILESTORE_DATA_DIR"].strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"FILESTORE_DATA_DIR must be a directory, {raw!r} is a file")
    return path.resolve()


def _speedup(raw: str) -> float:
    if not raw.strip():
        return 1.0
    try:
        factor = float(raw)
    except ValueError as err:
        raise ConfigError(f"FILESTORE_SCHEDULE_SPEEDUP must be a number, got {raw!r}") from err
    if not 1 <= factor < math.inf:
        raise ConfigError(
            f"FILESTORE_SCHEDULE_SPEEDUP must be a finite number, 1 or more, got {raw!r}"
        )
    return factor
