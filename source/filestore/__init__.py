"""Filestore's service: input parsing, records, DynamoDB and S3, results and JSON views."""
