"""The benchmark's child processes: one checked run, and a server kept up for a block."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

SERVER_START_SECONDS = 60.0
_IMPORT_TIME = re.compile(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|( *)(\S+)")


def import_times(lines: Iterable[str]) -> list[tuple[str, float, int]]:
    """``python -X importtime`` lines as (module, cumulative ms, nesting depth: 0 = top level)."""
    found = (_IMPORT_TIME.match(line) for line in lines)
    return [(m.group(3), int(m.group(1)) / 1000, len(m.group(2)) // 2) for m in found if m]


def run_checked(
    command: Sequence[str],
    env: Mapping[str, str],
    what: str,
    *,
    cwd: Path | None = None,
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end with its output captured; raise naming ``what`` if it fails."""
    done = subprocess.run(
        list(command),
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-1500:]}")
    return done


@contextmanager
def serving(
    command: Sequence[str], probe_url: str, what: str, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the server ``command`` in its own process group while the block runs, from the moment
    ``probe_url`` answers any HTTP request; the block gets the server's process."""
    process = subprocess.Popen(
        list(command),
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the {what} exited with {process.returncode}")
            try:
                requests.get(probe_url, timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the {what} did not answer within {SERVER_START_SECONDS:.0f} s"
                    ) from None
                time.sleep(0.05)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
