"""Settings: read once from the environment, with errors that name the variable."""

from __future__ import annotations

import pytest

from runtime_context import ConfigurationError, Settings, get_settings
from tests.helpers.contract import SETTINGS_VARIABLES


def test_settings_are_read_from_the_template_variables(environment: dict[str, str]) -> None:
    settings = Settings.from_environ(
        {**environment, "ALLOWED_TYPES": " image/* ,application/PDF,", "STORE_ON_UPLOAD": "True"}
    )

    assert settings == Settings(
        table_name="filestore-test-FilesTable",
        bucket_name="filestore-test-storage",
        store_on_upload=True,
        signed_url_expiration=900,
        max_file_size=1048576,
        allowed_types=("image/*", "application/pdf"),
        allowed_origin="https://files.example.com",
        upload_timeout=3600,
        multipart_threshold=5242880,
        part_size=5242880,
    )


def test_settings_are_read_once_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("MAX_FILE_SIZE", "5")

    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().max_file_size == 5


@pytest.mark.parametrize("variable", SETTINGS_VARIABLES)
def test_a_missing_variable_is_named(environment: dict[str, str], variable: str) -> None:
    incomplete = {k: v for k, v in environment.items() if k != variable}

    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_environ(incomplete)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("STORE_ON_UPLOAD", "maybe", "True or False"),
        ("SIGNED_URL_EXPIRATION", "15m", "integer"),
        ("SIGNED_URL_EXPIRATION", "604801", "at most 604800"),
        ("SIGNED_URL_EXPIRATION", "0", "at least 1"),
        ("MAX_FILE_SIZE", "-1", "at least 1"),
        ("UPLOAD_TIMEOUT", "soon", "integer"),
        ("MULTIPART_THRESHOLD", "5242879", "at least 5242880"),
        ("PART_SIZE", "5368709121", "at most 5368709120"),
        ("ALLOWED_TYPES", "images", "type/subtype"),
        ("ALLOWED_TYPES", " , ", "missing or empty|no mime patterns"),
    ],
)
def test_an_invalid_variable_is_named_with_its_problem(
    environment: dict[str, str], variable: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"{variable}.*({problem})"):
        Settings.from_environ({**environment, variable: value})
