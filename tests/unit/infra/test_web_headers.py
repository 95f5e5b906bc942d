"""template.yaml: the web distribution sends security headers, and with the published page's
meta CSP (web_publisher) the page may connect to its own API and storage bucket only."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from filestore.clients import CLIENT_CONFIG
from tests.unit.infra.support import ROOT, load_template
from web_publisher.page import with_connect_src
from web_publisher.publish import Publication

PAGE = ROOT / "static" / "web" / "index.html"
API_ID = "a1b2c3d4e5"
BUCKET = "filestore-0f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"
PSEUDO = {"AWS::URLSuffix": "amazonaws.com"}
STAGE = "dev"


def _policy() -> dict[str, Any]:
    resources = load_template()["Resources"]
    policy = resources["WebResponseHeadersPolicy"]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return dict(policy["Properties"]["ResponseHeadersPolicyConfig"])


def _resolve(node: Any, region: str) -> str:
    """The string CloudFormation makes of ``node`` with this API id, bucket and region."""
    if isinstance(node, str):
        return node
    if "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return str(separator).join(_resolve(part, region) for part in parts)
    if "Fn::Sub" in node:
        names = {
            **PSEUDO,
            "AWS::Region": region,
            "FilestoreApi": API_ID,
            "StorageBucket": BUCKET,
            "Stage": STAGE,
        }

        def value(match: re.Match[str]) -> str:
            assert match.group(1) in names, f"unexpected ${{{match.group(1)}}} in the CSP"
            return names[match.group(1)]

        return re.sub(r"\$\{([^}]+)\}", value, str(node["Fn::Sub"]))
    if "Ref" in node:
        return {"MaxFileSize": "1000", "AllowedTypes": "*", "StoreOnLoad": "False"}[node["Ref"]]
    raise AssertionError(f"unexpected intrinsic in the CSP: {node}")


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} given twice"
        parsed[name] = sources
    return parsed


def _header_csp(region: str) -> dict[str, list[str]]:
    csp = _policy()["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert csp["Override"] is True
    return _directives(_resolve(csp["ContentSecurityPolicy"], region))


class _MetaCsp(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.policy = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.policy = values.get("content") or ""


def _meta_csp(html: str) -> dict[str, list[str]]:
    parser = _MetaCsp()
    parser.feed(html)
    assert parser.policy, "the page has no Content-Security-Policy meta tag"
    return _directives(parser.policy)


def _presigned_upload_origin(region: str) -> str:
    """The origin of an upload URL presigned the way CreateFileFunction presigns it."""
    client = boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id="AKIAEXAMPLEEXAMPLE00",
        aws_secret_access_key="example-secret",
        config=CLIENT_CONFIG,
    )
    url = client.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": BUCKET,
            "Key": "0123456789abcdef0123456789abcdef",
            "ContentLength": 5,
            "ContentType": "text/plain",
            "IfNoneMatch": "*",
        },
        ExpiresIn=900,
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_distribution_sends_the_stack_s_own_security_headers_policy() -> None:
    distribution = load_template()["Resources"]["WebDistribution"]["Properties"]
    behavior = distribution["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "WebResponseHeadersPolicy"}


def test_security_headers_are_hsts_nosniff_deny_and_a_referrer_policy() -> None:
    config = _policy()
    name = config["Name"]
    assert name["Fn::Join"][1][0] == "filestore-web-headers-"  # unique per stack, never fixed
    headers = config["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000
    assert hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] in {
        "same-origin",
        "strict-origin-when-cross-origin",
    }
    assert all(header["Override"] is True for header in headers.values())


def _publication(region: str) -> Publication:
    """The WebPage resource's properties as CloudFormation resolves them for this stack."""
    properties = load_template()["Resources"]["WebPage"]["Properties"]
    resolved: dict[str, Any] = {}
    for name, value in properties.items():
        if name in ("ServiceToken", "Release", "WebBucket", "DistributionId"):
            continue
        if isinstance(value, list):
            resolved[name] = [_resolve(item, region) for item in value]
        else:
            resolved[name] = value if isinstance(value, int) else _resolve(value, region)
    return Publication.from_properties({**resolved, "WebBucket": "web", "DistributionId": "E1"})


def _published_csp(region: str) -> dict[str, list[str]]:
    html = with_connect_src(PAGE.read_text(encoding="utf-8"), _publication(region).connect_sources)
    return _meta_csp(html)


def _allows(pattern: str, origin: str) -> bool:
    """CSP host-source matching for the forms used here: exact, or ``scheme://*.suffix``."""
    if pattern == origin:
        return True
    scheme, _, host = pattern.partition("://")
    wanted_scheme, _, wanted_host = origin.partition("://")
    return host.startswith("*.") and scheme == wanted_scheme and wanted_host.endswith(host[1:])


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_header_csp_names_no_resource_and_allows_only_this_region_s_api_and_s3_hosts(
    region: str,
) -> None:
    csp = _policy()["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    # Naming the API or the bucket here would close a dependency cycle (test_sam_transform.py).
    assert not set(re.findall(r"\$\{([^}]+)\}", str(csp))) - {"AWS::Region", "AWS::URLSuffix"}
    assert _header_csp(region)["connect-src"] == [
        "'self'",
        f"https://*.execute-api.{region}.amazonaws.com",
        "https://*.s3.amazonaws.com",
        f"https://*.s3.{region}.amazonaws.com",
    ]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_published_page_connects_only_to_the_stack_s_api_and_its_storage_bucket(
    region: str,
) -> None:
    published = _published_csp(region)["connect-src"]
    assert published == [
        "'self'",
        f"https://{API_ID}.execute-api.{region}.amazonaws.com",
        f"https://{BUCKET}.s3.amazonaws.com",
        f"https://{BUCKET}.s3.{region}.amazonaws.com",
    ]
    # Browsers enforce both policies: each exact origin is also allowed by the header, so the
    # effective connect-src is the published one.
    header = _header_csp(region)["connect-src"]
    for origin in published:
        assert any(_allows(pattern, origin) for pattern in header), origin


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_csp_allows_the_host_botocore_presigns_uploads_for(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # no profile's s3 settings
    origin = _presigned_upload_origin(region)
    assert origin in _published_csp(region)["connect-src"]
    assert any(_allows(pattern, origin) for pattern in _header_csp(region)["connect-src"])


def test_csp_forbids_framing_and_otherwise_matches_the_published_page_s_meta_policy() -> None:
    header, meta = _header_csp("us-east-1"), _published_csp("us-east-1")
    assert header.pop("frame-ancestors") == ["'none'"]
    header.pop("connect-src")
    meta.pop("connect-src")
    assert header == meta
    assert not any(source.startswith("http:") for sources in header.values() for source in sources)


def test_the_unpublished_page_may_connect_to_nothing_but_itself() -> None:
    assert _meta_csp(PAGE.read_text(encoding="utf-8"))["connect-src"] == ["'self'"]
