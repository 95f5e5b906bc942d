"""FILESTORE_* environment variables → the local stack's configuration."""

from __future__ import annotations

import pytest

from local_stack.config import ConfigError, load_config, parse_params


def test_defaults_are_the_documented_ports_on_loopback_with_a_generated_key() -> None:
    config = load_config({})
    ports = (config.api_port, config.s3_port, config.web_port, config.lambda_port)
    assert (config.host, *ports) == ("127.0.0.1", 3000, 4566, 8080, 3001)
    assert config.api_key_generated
    assert len(config.api_key) == 40
    assert config.api_key != load_config({}).api_key
    assert config.params == {}
    assert config.schedule_speedup == 1.0


def test_every_variable_is_read() -> None:
    config = load_config(
        {
            "FILESTORE_HOST": "0.0.0.0",
            "FILESTORE_API_PORT": "3002",
            "FILESTORE_LAMBDA_PORT": "3003",
            "FILESTORE_S3_PORT": "4567",
            "FILESTORE_WEB_PORT": "8081",
            "FILESTORE_API_KEY": "k" * 30,
            "FILESTORE_PARAMS": "StoreOnLoad=True",
            "FILESTORE_SCHEDULE_SPEEDUP": "60",
        }
    )
    ports = (config.api_port, config.s3_port, config.web_port, config.lambda_port)
    assert (config.host, *ports) == ("0.0.0.0", 3002, 4567, 8081, 3003)
    assert config.api_key == "k" * 30 and not config.api_key_generated
    assert config.params == {"StoreOnLoad": "True"}
    assert config.schedule_speedup == 60


def test_params_are_split_like_a_shell_line() -> None:
    line = "StoreOnLoad=True UploadTimeout=5 'ExpireSchedule=rate(1 minute)' AllowedTypes="
    assert parse_params(line) == {
        "StoreOnLoad": "True",
        "UploadTimeout": "5",
        "ExpireSchedule": "rate(1 minute)",
        "AllowedTypes": "",
    }


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"FILESTORE_API_PORT": "http"}, "FILESTORE_API_PORT"),
        ({"FILESTORE_S3_PORT": "70000"}, "FILESTORE_S3_PORT"),
        ({"FILESTORE_API_KEY": "short"}, "FILESTORE_API_KEY"),
        ({"FILESTORE_PARAMS": "StoreOnLoad"}, "FILESTORE_PARAMS"),
        ({"FILESTORE_PARAMS": "'unclosed"}, "FILESTORE_PARAMS"),
        ({"FILESTORE_SCHEDULE_SPEEDUP": "0.5"}, "FILESTORE_SCHEDULE_SPEEDUP"),
        ({"FILESTORE_SCHEDULE_SPEEDUP": "fast"}, "FILESTORE_SCHEDULE_SPEEDUP"),
        ({"FILESTORE_SCHEDULE_SPEEDUP": "inf"}, "FILESTORE_SCHEDULE_SPEEDUP"),
        ({"FILESTORE_S3_PORT": "3000"}, "FILESTORE_S3_PORT"),
        ({"FILESTORE_API_PORT": "8081", "FILESTORE_WEB_PORT": "8081"}, "FILESTORE_API_PORT"),
        ({"FILESTORE_LAMBDA_PORT": "lambda"}, "FILESTORE_LAMBDA_PORT"),
        ({"FILESTORE_LAMBDA_PORT": "3000"}, "FILESTORE_LAMBDA_PORT"),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_config(environ)


@pytest.mark.parametrize(
    ("line", "quoted"),
    [
        ("ExpireSchedule=rate(1 minute)", "'ExpireSchedule=rate(1 minute)'"),
        (
            "StoreOnLoad=True ExpireSchedule=cron(0 12 * * ? *) UploadTimeout=5",
            "'ExpireSchedule=cron(0 12 * * ? *)'",
        ),
    ],
)
def test_a_value_with_an_unquoted_space_is_refused_with_its_quoted_form(
    line: str, quoted: str
) -> None:
    with pytest.raises(ConfigError, match="must be quoted") as refused:
        parse_params(line)

    assert str(refused.value).endswith(f"like {quoted}")
