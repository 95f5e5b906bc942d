"""scripts/deploy_web.py against moto: config.js from the outputs, sync with types, invalidation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.deploy_web import DeployError, deploy_web
from scripts.page_config import config_script

REGION = "us-east-1"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/dev"
WEB_BUCKET = "filestore-web-test"


def _stack_template(outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
    )


def _distribution(cloudfront: Any) -> str:
    response = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "filestore-test",
            "Comment": "test",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "web",
                        "DomainName": f"{WEB_BUCKET}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all"},
        }
    )
    return str(response["Distribution"]["Id"])


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield {
            "cloudformation": boto3.client("cloudformation", region_name=REGION),
            "s3": boto3.client("s3", region_name=REGION),
            "cloudfront": boto3.client("cloudfront", region_name=REGION),
        }


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    site = tmp_path / "web"
    (site / "vendor").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Filestore</title>", encoding="utf-8")
    (site / "uploader.js").write_text("export {};", encoding="utf-8")
    (site / "style.css").write_text("body{}", encoding="utf-8")
    (site / "vendor" / "filepond.min.js").write_text("/* filepond */", encoding="utf-8")
    return site


def _deployed_stack(clients: dict[str, Any]) -> str:
    clients["s3"].create_bucket(Bucket=WEB_BUCKET)
    distribution_id = _distribution(clients["cloudfront"])
    outputs = {
        "ApiRootUrl": API_URL,
        "WebBucketName": WEB_BUCKET,
        "WebDistributionId": distribution_id,
    }
    clients["cloudformation"].create_stack(StackName="fs", TemplateBody=_stack_template(outputs))
    return distribution_id


def test_config_script_points_the_page_at_the_api() -> None:
    assert config_script(API_URL) == f'window.FILESTORE_CONFIG = {{"apiUrl": "{API_URL}"}};\n'


def test_deploy_writes_config_syncs_the_site_and_invalidates_the_cdn(
    clients: dict[str, Any], web_dir: Path
) -> None:
    distribution_id = _deployed_stack(clients)
    s3 = clients["s3"]
    s3.put_object(Bucket=WEB_BUCKET, Key="old-page.html", Body=b"stale")

    target = deploy_web("fs", web_dir=web_dir, **clients)

    assert target.api_root_url == API_URL
    assert (web_dir / "config.js").read_text(encoding="utf-8") == config_script(API_URL)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=WEB_BUCKET)["Contents"]}
    assert keys == {"index.html", "config.js", "uploader.js", "style.css", "vendor/filepond.min.js"}
    index = s3.get_object(Bucket=WEB_BUCKET, Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == "no-cache"
    config = s3.get_object(Bucket=WEB_BUCKET, Key="config.js")
    assert config["CacheControl"] == "no-cache"
    assert config["Body"].read().decode() == config_script(API_URL)
    script = s3.head_object(Bucket=WEB_BUCKET, Key="vendor/filepond.min.js")
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    assert script["CacheControl"] == "public, max-age=3600"
    assert s3.head_object(Bucket=WEB_BUCKET, Key="style.css")["ContentType"].startswith("text/css")
    invalidations = clients["cloudfront"].list_invalidations(DistributionId=distribution_id)
    assert invalidations["InvalidationList"]["Quantity"] == 1


def test_deploy_refuses_a_stack_without_the_web_outputs(
    clients: dict[str, Any], web_dir: Path
) -> None:
    clients["cloudformation"].create_stack(
        StackName="old", TemplateBody=_stack_template({"ApiRootUrl": API_URL})
    )
    with pytest.raises(DeployError, match="WebBucketName, WebDistributionId"):
        deploy_web("old", web_dir=web_dir, **clients)
    assert not (web_dir / "config.js").exists()


def test_deploy_refuses_an_unbuilt_site(clients: dict[str, Any], tmp_path: Path) -> None:
    _deployed_stack(clients)
    with pytest.raises(DeployError, match=r"index\.html is missing"):
        deploy_web("fs", web_dir=tmp_path, **clients)
