"""The local stack's one AWS account: region, account id, stack name and public credentials."""

from __future__ import annotations

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "filestore-local"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local"
REST_API_ID = "local"
API_KEY_ID = "local-api-key"

# Every local endpoint (S3, DynamoDB, soon Lambda) accepts exactly this key pair, and the function
# workers get it as their execution role's credentials. Public and local-only, documented in
# docs/LOCAL.md: nothing in AWS accepts it.
ACCESS_KEY_ID = "filestore-local"
SECRET_ACCESS_KEY = "filestore-local-secret"  # noqa: S105 - public, local-only, documented
