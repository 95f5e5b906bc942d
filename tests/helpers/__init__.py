"""Shared test helpers: AWS resources built from template.yaml and Lambda event factories."""
