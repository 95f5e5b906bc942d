"""Reads template.yaml (and the Swagger it includes) into a typed model of the local stack."""
