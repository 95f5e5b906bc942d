"""The WebPage custom resource against moto: create, update, delete, and FAILED when it cannot."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from local_stack.cloudformation.custom_resource import CustomResourceError
from tests.helpers.web_publisher import (
    API_URL,
    STORAGE_ORIGINS,
    WEB_BUCKET,
    InProcessInvoker,
    properties,
    send,
)
from web_publisher import handler as handler_module

SITE_KEYS = {"index.html", "uploader.js", "style.css", "vendor/filepond.min.js", "config.js"}


def _keys(s3: Any, bucket: str = WEB_BUCKET) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _text(s3: Any, key: str) -> str:
    return str(s3.get_object(Bucket=WEB_BUCKET, Key=key)["Body"].read().decode("utf-8"))


def test_create_publishes_the_page_with_types_caching_config_and_the_exact_csp(
    aws: dict[str, Any], site: Path, distribution_id: str
) -> None:
    s3 = aws["s3"]

    result = send("Create", properties(distribution_id))

    assert result.status == "SUCCESS"
    assert result.physical_resource_id == f"s3://{WEB_BUCKET}"
    assert _keys(s3) == SITE_KEYS
    index = s3.get_object(Bucket=WEB_BUCKET, Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == "no-cache"
    api_origin = "https://abc123.execute-api.us-east-1.amazonaws.com"
    connect = f"connect-src 'self' {api_origin} {' '.join(STORAGE_ORIGINS)}"
    assert f"content=\"default-src 'none'; {connect}\"" in index["Body"].read().decode()
    script = s3.head_object(Bucket=WEB_BUCKET, Key="vendor/filepond.min.js")
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    assert script["CacheControl"] == "public, max-age=3600"
    config = s3.get_object(Bucket=WEB_BUCKET, Key="config.js")
    assert config["CacheControl"] == "no-cache"
    body = config["Body"].read().decode()
    assert json.loads(body.removeprefix("window.FILESTORE_CONFIG = ").removesuffix(";\n")) == {
        "apiUrl": API_URL,
        "maxFileSize": 1048576,
        "allowedTypes": ["image/*", "application/pdf"],
        "storeOnUpload": False,
    }
    invalidations = aws["cloudfront"].list_invalidations(DistributionId=distribution_id)
    assert invalidations["InvalidationList"]["Quantity"] == 1
    assert result.data["Invalidation"] == invalidations["InvalidationList"]["Items"][0]["Id"]


def test_update_rewrites_changed_files_adds_new_ones_and_removes_those_gone(
    aws: dict[str, Any], site: Path, distribution_id: str
) -> None:
    s3 = aws["s3"]
    first = send("Create", properties(distribution_id))
    (site / "uploader.js").write_text("export const v = 2;", encoding="utf-8")
    (site / "style.css").unlink()
    (site / "multipart.js").write_text("export {};", encoding="utf-8")

    second = send(
        "Update", properties(distribution_id, StoreOnUpload="True"), first.physical_resource_id
    )

    assert second.physical_resource_id == first.physical_resource_id  # same page, no delete
    assert _keys(s3) == (SITE_KEYS - {"style.css"}) | {"multipart.js"}
    assert _text(s3, "uploader.js") == "export const v = 2;"
    assert '"storeOnUpload": true' in _text(s3, "config.js")
    invalidations = aws["cloudfront"].list_invalidations(DistributionId=distribution_id)
    assert invalidations["InvalidationList"]["Quantity"] == 2


def test_an_update_to_a_new_bucket_is_a_new_resource_and_deleting_the_old_one_empties_it(
    aws: dict[str, Any], site: Path
) -> None:
    s3 = aws["s3"]
    s3.create_bucket(Bucket="filestore-web-new")
    old = send("Create", properties())

    new = send("Update", properties(bucket="filestore-web-new"), old.physical_resource_id)
    send("Delete", properties(), old.physical_resource_id)  # CloudFormation's clean-up

    assert new.physical_resource_id == "s3://filestore-web-new"
    assert _keys(s3, "filestore-web-new") == SITE_KEYS
    assert _keys(s3) == set()


def test_delete_empties_the_bucket_with_every_version_so_it_can_be_deleted(
    aws: dict[str, Any], site: Path
) -> None:
    s3 = aws["s3"]
    s3.put_bucket_versioning(Bucket=WEB_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    created = send("Create", properties())
    send("Update", properties(), created.physical_resource_id)  # second versions of each key

    deleted = send("Delete", properties(), created.physical_resource_id)

    assert deleted.status == "SUCCESS"
    versions = s3.list_object_versions(Bucket=WEB_BUCKET)
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    s3.delete_bucket(Bucket=WEB_BUCKET)  # what CloudFormation does next: it succeeds


def test_delete_of_a_bucket_already_gone_or_of_a_create_that_never_named_one_succeeds(
    aws: dict[str, Any], site: Path
) -> None:
    assert send("Delete", properties(), "s3://no-such-bucket").status == "SUCCESS"
    aws["s3"].put_object(Bucket=WEB_BUCKET, Key="kept.txt", Body=b"not ours to judge")
    assert send("Delete", properties(), "web-page-1234").status == "SUCCESS"
    assert _keys(aws["s3"]) == {"kept.txt"}


def test_a_create_that_cannot_publish_answers_failed_with_the_reason(
    aws: dict[str, Any], site: Path
) -> None:
    with pytest.raises(CustomResourceError, match="NoSuchBucket"):
        send("Create", properties(bucket="missing-bucket"))


def test_bad_properties_answer_failed_naming_the_property(aws: dict[str, Any], site: Path) -> None:
    with pytest.raises(CustomResourceError, match="MaxFileSize must be a whole number"):
        send("Create", properties(MaxFileSize="lots"))
    with pytest.raises(CustomResourceError, match="StorageOrigins"):
        send("Create", properties(StorageOrigins=[]))
    assert _keys(aws["s3"]) == set()  # nothing half-published


def test_an_unbuilt_page_answers_failed(aws: dict[str, Any], site: Path) -> None:
    (site / "index.html").unlink()
    with pytest.raises(CustomResourceError, match=r"index\.html is missing"):
        send("Create", properties())


def test_work_still_running_near_the_deadline_answers_failed_instead_of_hanging(
    aws: dict[str, Any], site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_publish(*args: Any, **kwargs: Any) -> Any:
        time.sleep(3)
        raise AssertionError("the answer must have been sent already")

    monkeypatch.setattr(handler_module, "publish", slow_publish)
    remaining = int((handler_module.DEADLINE_MARGIN_SECONDS + 0.5) * 1000)
    started = time.monotonic()

    with pytest.raises(CustomResourceError, match="did not finish before the function's timeout"):
        send("Create", properties(), invoker=InProcessInvoker(remaining_ms=remaining))

    assert time.monotonic() - started < 10
