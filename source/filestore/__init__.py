"""Filestore's service: validation, records, DynamoDB and S3 access, and the HTTP mapping."""
