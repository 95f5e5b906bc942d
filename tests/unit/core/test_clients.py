"""On the runtime's botocore, the clients resolve a bucket's endpoint once for all its keys and
build their User-Agent once, not on every call."""

from __future__ import annotations

from local_stack.config import PROJECT_ROOT
from tests.helpers.runtime import run_on_runtime

# As Lambda sets them (both region variables), with the package on the path.
FUNCTION_ENVIRONMENT = {
    "PYTHONPATH": str(PROJECT_ROOT / "source"),
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "local-test-secret",
}

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
    found = run_on_runtime(PRESIGN_THREE_KEYS, env=FUNCTION_ENVIRONMENT)

    assert found["referenced"] == [], "a rule now reads a parameter the cache key leaves out"
    assert found["evaluations"] == 1, f"botocore {found['botocore']}: {found}"
    assert found["same_urls"]


# Three GetItem calls through the full botocore pipeline (the before-send hook answers each in
# place of DynamoDB): the User-Agent each sent, and how many were built during each call.
THREE_CALLS_USER_AGENTS = """
import json
import boto3
from botocore.awsrequest import AWSResponse
from botocore.useragent import UserAgentString
from filestore.clients import CLIENT_CONFIG, dynamodb_client

class EmptyAnswer:
    def stream(self, **_):
        yield b"{}"

builds = []
build = UserAgentString.to_string
UserAgentString.to_string = lambda self: builds.append(1) or build(self)

def calls(client):
    sent, built = [], []
    def answer(request, **_):
        sent.append(request.headers["User-Agent"].decode())
        return AWSResponse(request.url, 200, {}, EmptyAnswer())
    client.meta.events.register("before-send.dynamodb", answer)
    for key in ("one", "two", "three"):
        builds.clear()
        client.get_item(TableName="files", Key={"id": {"S": key}})
        built.append(len(builds))
    return {"sent": sent, "built": built}

print(json.dumps({
    "botocore": __import__("botocore").__version__,
    "ours": calls(dynamodb_client()),
    "plain": calls(boto3.client("dynamodb", config=CLIENT_CONFIG)),
}))
"""


def test_a_clients_user_agent_is_built_by_its_first_call_only_on_the_runtime() -> None:
    found = run_on_runtime(THREE_CALLS_USER_AGENTS, env=FUNCTION_ENVIRONMENT)

    ours, plain = found["ours"], found["plain"]
    assert ours["sent"] == plain["sent"], "the User-Agent differs from botocore's own"
    assert plain["built"] == [2, 2, 2], "botocore no longer builds it twice a call: recheck"
    # The first call builds one for each set of feature ids it sees (they grow during a call).
    assert ours["built"][1:] == [0, 0], f"botocore {found['botocore']}: {found}"
