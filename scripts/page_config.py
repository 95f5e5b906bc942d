"""The web page's runtime configuration (config.js): written by deploy_web, served locally."""

from __future__ import annotations

import json

CONFIG_FILE = "config.js"  # static/web/index.html loads it before the page's own scripts


def config_script(api_url: str) -> str:
    """The content of config.js pointing the page at ``api_url`` (the API root, stage included)."""
    return f"window.FILESTORE_CONFIG = {json.dumps({'apiUrl': api_url})};\n"
