"""Filestore's local stack: the offline stand-in for API Gateway, Lambda, S3 and DynamoDB."""
