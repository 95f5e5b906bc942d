"""Fixtures of the publisher's tests: moto's S3 and CloudFront, a built site, the request runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.helpers.web_publisher import PAGE, REGION, WEB_BUCKET
from web_publisher import publish as publish_module


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=WEB_BUCKET)
        yield {"s3": s3, "cloudfront": boto3.client("cloudfront", region_name=REGION)}


@pytest.fixture
def distribution_id(aws: dict[str, Any]) -> str:
    response = aws["cloudfront"].create_distribution(
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
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built site in the package's site/ place (the handler publishes SITE_DIR)."""
    root = tmp_path / "site"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    (root / "uploader.js").write_text("export {};", encoding="utf-8")
    (root / "style.css").write_text("body{}", encoding="utf-8")
    (root / "vendor" / "filepond.min.js").write_text("/* filepond */", encoding="utf-8")
    monkeypatch.setattr(publish_module, "SITE_DIR", root)
    return root
