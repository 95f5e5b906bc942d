"""The S3 client resolves a bucket's endpoint once for all its keys, on the runtime's botocore."""

from __future__ import annotations

from local_stack.config import PROJECT_ROOT
from tests.helpers.runtime import run_on_runtime

# Run on the template's runtime (python3.13 with the botocore Lambda ships, older than 1.43.14):
# three presigned PUTs for three keys, counting how often the S3 endpoint ruleset is evaluated.
PRESIGN_THREE_KEYS = """
import json, os, sys
import boto3
from filestore.clients import CLIENT_CONFIG, S3_UNREFERENCED_ENDPOINT_PARAMS, s3_client

def presign(client, key):
    return client.generate_presigned_url(
        "put_object", Params={"Bucket": "files-bucket", "Key": key}, ExpiresIn=300
    )

def referenced(node, names):
    if isinstance(node, dict):
        if node.get("ref") in names:
            yield node["ref"]
        for value in node.values():
            yield from referenced(value, names)
    elif isinstance(node, list):
        for value in node:
            yield from referenced(value, names)

client = s3_client()
ruleset = client._ruleset_resolver._provider.ruleset
evaluations = []
evaluate = ruleset.evaluate
ruleset.evaluate = lambda parameters: evaluations.append(1) or evaluate(parameters)
urls = [presign(client, key) for key in ("one", "two", "three")]
plain = boto3.client("s3", config=CLIENT_CONFIG)
rules = client._loader.load_service_model("s3", "endpoint-rule-set-1")
print(json.dumps({
    "botocore": __import__("botocore").__version__,
    "evaluations": len(evaluations),
    "same_urls": [url.split("?")[0] for url in urls]
    == [presign(plain, key).split("?")[0] for key in ("one", "two", "three")],
    "referenced": sorted(set(referenced(rules["rules"], S3_UNREFERENCED_ENDPOINT_PARAMS))),
}))
"""


def test_presigned_urls_for_new_keys_reuse_the_buckets_resolved_endpoint_on_the_runtime() -> None:
    environment = {
        "PYTHONPATH": str(PROJECT_ROOT / "source"),
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "local-test-secret",
    }

    found = run_on_runtime(PRESIGN_THREE_KEYS, env=environment)

    assert found["referenced"] == [], "a rule now reads a parameter the cache key leaves out"
    assert found["evaluations"] == 1, f"botocore {found['botocore']}: {found}"
    assert found["same_urls"]
