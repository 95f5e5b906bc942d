"""A local DynamoDB: moto's DynamoDB served from a process of its own."""
