"""What a run measures with: iteration counts, the repository's paths, the template's functions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.cloudformation.loader import load_stack
from local_stack.cloudformation.models import StackModel
from local_stack.config import PROJECT_ROOT
from local_stack.testing.launcher import TEMPLATE_PATH

SOURCE_DIR = PROJECT_ROOT / "source"


@dataclass(frozen=True)
class BenchConfig:
    """Iteration counts for one run: the full run (the defaults), or the tiny smoke run."""

    smoke: bool = False
    startup_runs: int = 7
    latency_requests: int = 400
    throughput_seconds: float = 10.0
    throughput_clients: int = 8
    # One PUT: under template.yaml's MultipartThreshold default (32 MiB), from which POST /file
    # answers parts instead of one URL.
    upload_bytes: int = 30 * 1024 * 1024
    upload_runs: int = 5
    multipart_bytes: int = 1024**3  # the multipart figure's file
    multipart_part_bytes: int = 16 * 1024 * 1024  # template.yaml's PartSize default
    multipart_runs: int = 2
    event_uploads: int = 100
    # With the machine slow 28% of the time (see bench.cold_start.ROUND_ORDER_SEED), a median of
    # 9 lands in a slow phase for one of 12 modules in about 3 runs of 5; of 21, in 1 of 6.
    cold_start_runs: int = 21
    cold_start_modules: int | None = None  # None: every handler module
    expiry_stored_counts: tuple[int, ...] = (0, 1_000, 10_000)
    expiring_files: int = 10
    batch_ids: int = 100
    stored_files: int = 10_000  # the data folder the stack restarts on: 10,000 files, 1 GiB
    stored_file_bytes: int = 1024**3 // 10_000 + 1  # 10,000 of them: just over 1 GiB
    stored_startup_runs: int = 3
    stored_fill_clients: int = 8  # uploading at once while that folder is filled
    burst_clients: int = 16  # full flows at once on a stack fresh from start-up

    @property
    def cores(self) -> int:
        return os.cpu_count() or 1


FULL = BenchConfig()
SMOKE = BenchConfig(
    smoke=True,
    startup_runs=1,
    latency_requests=20,
    throughput_seconds=1.0,
    throughput_clients=2,
    upload_bytes=1024 * 1024,
    upload_runs=1,
    multipart_bytes=12 * 1024 * 1024,
    multipart_part_bytes=5 * 1024 * 1024,
    multipart_runs=1,
    event_uploads=5,
    cold_start_runs=1,
    cold_start_modules=2,
    expiry_stored_counts=(0, 50),
    batch_ids=20,
    stored_files=20,
    stored_file_bytes=10 * 1024,
    stored_startup_runs=1,
    stored_fill_clients=2,
    burst_clients=3,
)


def handler_modules() -> list[str]:
    """Every handler module in source/handlers, as ``handlers.<name>``."""
    paths = (SOURCE_DIR / "handlers").glob("*.py")
    return sorted(f"handlers.{path.stem}" for path in paths if path.stem != "__init__")


@cache
def stack_model() -> StackModel:
    """template.yaml read as the local stack reads it, with its default parameters."""
    return load_stack(TEMPLATE_PATH, {})


def function_environment() -> dict[str, str]:
    """A function's variables from the template, plus the local account's public credentials."""
    functions = stack_model().functions
    if not functions:
        raise RuntimeError(f"{TEMPLATE_PATH} declares no functions")
    return dict(next(iter(functions.values())).environment) | {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }
