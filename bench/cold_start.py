"""Cold start as Lambda runs it: python3.13 importing each handler from a read-only unzipped copy
of the package (no bytecode written), against ``import boto3`` with boto3's bytecode present."""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.package_size import PACKAGE_ZIP
from bench.processes import import_times, run_checked
from bench.session import Session
from bench.settings import SOURCE_DIR, handler_modules, stack_model
from bench.stats import median
from local_stack.awslambda.environment import LocalEndpoints, function_environment
from local_stack.awslambda.interpreters import runtime_interpreter

EMPTY = "(empty interpreter)"
# Each round runs every module once, in an order of its own drawn from this seed (the same
# orders on every run of the bench). Shared 2-core machines have slow phases: on the one this
# was tuned on, `import boto3` ran ~50% slower for 1-3 s every ~9 s, about two rounds, so with
# one fixed order the same modules met them round after round and their medians rose together.
ROUND_ORDER_SEED = 14
BOTO3 = "boto3"
# Imported one after another in one fresh interpreter: each step costs what it adds.
IMPORT_STEPS = (
    "vendor",
    "boto3",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "filestore.observability",
    "filestore.container",
    "filestore.http",
)
_STEP_TIMER = """
import importlib, json, sys, time
steps = []
for name in sys.argv[1:]:
    started = time.perf_counter()
    importlib.import_module(name)
    steps.append((time.perf_counter() - started) * 1000)
print(json.dumps({"steps": steps, "modules": sorted(sys.modules)}))
"""
_TRACER_TIMER = """
import sys, time
import vendor, boto3, aws_xray_sdk.core
from aws_lambda_powertools import Tracer
started = time.perf_counter()
Tracer(**eval(sys.argv[1]))
print((time.perf_counter() - started) * 1000)
"""
TRACER_VARIANTS = {
    "Tracer()": "{}",
    "Tracer(patch_modules=['botocore'])": "{'patch_modules': ['botocore']}",
}
EXT_DIR = SOURCE_DIR / "ext"
SLOWEST_SHOWN = 8
_INTERPRETER_FACTS = (
    "import importlib.machinery, json, platform; print(json.dumps([platform.machine(), "
    "f'{platform.python_implementation()} {platform.python_version()}', "
    "importlib.machinery.EXTENSION_SUFFIXES]))"
)


@dataclass(frozen=True)
class NativeWheel:
    """A vendored wheel with compiled modules: the platforms it is built for, and whether this
    interpreter loads them."""

    name: str
    tags: list[str]  # from its WHEEL file, e.g. cp313-cp313-manylinux_2_17_aarch64
    loadable: bool  # every compiled module has a file name this interpreter imports


@dataclass(frozen=True)
class ColdStart:
    """Median milliseconds of fresh interpreters importing each handler module, and why."""

    runs: int
    modules: list[str]
    wall_ms: dict[str, float]  # EMPTY, BOTO3 and every module in ``modules``: as shipped
    without_bytecode_ms: dict[str, float]  # BOTO3 and every module: the zip without __pycache__
    worst: str  # the module with the largest ratio to boto3
    steps_ms: list[tuple[str, float]]  # IMPORT_STEPS then ``worst``: what each adds
    loaded_modules: list[str]  # sys.modules once ``worst`` is imported
    tracer_ms: dict[str, float]  # by TRACER_VARIANTS label
    slowest_imports_ms: list[tuple[str, float]]  # under ``worst``, cumulative, one run
    machine: str  # platform.machine()
    interpreter: str  # e.g. CPython 3.13.0
    native_wheels: list[NativeWheel]
    package_bytes: int  # the zip measured


def _environment(task_root: Path) -> dict[str, str]:
    """A local worker's environment (the template's variables and what the Lambda runtime sets)
    without what only the local stack adds: its endpoints, and tracing switched off."""
    function = next(iter(stack_model().functions.values()))
    unused = LocalEndpoints(s3_url="", dynamodb_url="")  # imports make no AWS call
    env = function_environment(function, unused, task_root, os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # /var/task is read-only: nothing is cached
    for local_only in (
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "POWERTOOLS_TRACE_DISABLED",
    ):
        env.pop(local_only)
    env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{function.runtime}"
    return env


def _interpreter() -> str:
    found = runtime_interpreter("python3.13")
    if found is None:
        raise FileNotFoundError("no python3.13 runtime environment: run `make runtime`")
    return str(found)


def _python(
    code: str, env: dict[str, str], *args: str, flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``python3.13 [flags] -c code [args]`` in a fresh interpreter in the task root."""
    command = [_interpreter(), *flags, "-c", code, *args]
    return run_checked(command, env, f"python -c {code!r:.60}", cwd=Path(env["LAMBDA_TASK_ROOT"]))


@contextmanager
def unzipped_package(bytecode: bool) -> Iterator[Path]:
    """A read-only unzipped copy of the package, as Lambda's /var/task (``bytecode=False``:
    without its ``__pycache__`` folders, as the zip was before it shipped bytecode)."""
    with tempfile.TemporaryDirectory(prefix="filestore-task-") as folder:
        root = Path(folder) / "task"
        with zipfile.ZipFile(PACKAGE_ZIP) as archive:
            archive.extractall(root)
        if not bytecode:
            for cache in sorted(root.rglob("__pycache__")):
                shutil.rmtree(cache)
        paths = sorted(root.rglob("*"), reverse=True)
        for path in (*paths, root):
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield root
        finally:
            for path in (root, *sorted(root.rglob("*"))):
                path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _wall_ms(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    _python(code, env)
    return (time.perf_counter() - started) * 1000


def slowest_imports(module: str, env: dict[str, str]) -> list[tuple[str, float]]:
    """The slowest imports under ``module`` (cumulative ms, one ``-X importtime`` run)."""
    done = _python(f"import {module}", env, flags=("-X", "importtime"))
    entries = import_times(done.stderr.splitlines())
    total = max((ms for name, ms, _ in entries if name == module), default=0.0)
    slow = [(name, ms) for name, ms, depth in entries if 1 <= depth <= 3 and ms >= total / 10]
    return sorted(slow, key=lambda entry: -entry[1])[:SLOWEST_SHOWN]


def import_steps(
    module: str, env: dict[str, str], runs: int
) -> tuple[list[tuple[str, float]], list[str]]:
    """Median ms each of IMPORT_STEPS (then ``module``) adds, imported in that order; and every
    module loaded by then."""
    names = [*IMPORT_STEPS, module]
    samples: dict[str, list[float]] = defaultdict(list)
    loaded: list[str] = []
    for _ in range(runs):
        run = json.loads(_python(_STEP_TIMER, env, *names).stdout.splitlines()[-1])
        for name, ms in zip(names, run["steps"], strict=True):
            samples[name].append(ms)
        loaded = run["modules"]
    return [(name, median(samples[name])) for name in names], loaded


def tracer_costs(env: dict[str, str], runs: int) -> dict[str, float]:
    """Median ms of constructing the Powertools Tracer, as Filestore does and patching less."""
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for label, arguments in TRACER_VARIANTS.items():
            samples[label].append(
                float(_python(_TRACER_TIMER, env, arguments).stdout.splitlines()[-1])
            )
    return {label: median(values) for label, values in samples.items()}


def native_wheels(ext_dir: Path, suffixes: set[str]) -> list[NativeWheel]:
    """The vendored wheels that are not pure Python, read from their dist-info; loadable by an
    interpreter importing extension modules with ``suffixes``."""
    wheels = []
    for info in sorted(ext_dir.glob("*.dist-info")):
        wheel = (info / "WHEEL").read_text(encoding="utf-8").splitlines()
        if "Root-Is-Purelib: true" in wheel:
            continue
        record = (info / "RECORD").read_text(encoding="utf-8").splitlines()
        compiled = [Path(line.split(",", 1)[0]).name for line in record]
        compiled = [name for name in compiled if name.endswith((".so", ".pyd"))]
        wheels.append(
            NativeWheel(
                name=info.name.removesuffix(".dist-info"),
                tags=[line.split(":", 1)[1].strip() for line in wheel if line.startswith("Tag:")],
                loadable=all("." + name.split(".", 1)[1] in suffixes for name in compiled),
            )
        )
    return wheels


def _wall_samples(
    codes: dict[str, str], env: dict[str, str], runs: int, warm_up: bool
) -> dict[str, list[float]]:
    if warm_up:
        for code in codes.values():  # fills the page cache (no bytecode can be written)
            _wall_ms(code, env)
    samples: dict[str, list[float]] = defaultdict(list)
    order = list(codes.items())
    shuffle = random.Random(ROUND_ORDER_SEED).shuffle
    for _ in range(runs):  # interleaved in a new order each round, so noise hits all alike
        shuffle(order)
        for name, code in order:
            samples[name].append(_wall_ms(code, env))
    return samples


def measure(session: Session) -> ColdStart:
    """Median wall time of ``python3.13 -c 'import X'`` for every handler, boto3 and nothing,
    from the package as shipped and from the package without its bytecode."""
    if not PACKAGE_ZIP.is_file():
        raise FileNotFoundError(f"{PACKAGE_ZIP} is missing: run `make package` first")
    runs = session.config.cold_start_runs
    modules = handler_modules()[: session.config.cold_start_modules]
    if not modules:
        raise RuntimeError("no handler modules in source/handlers")
    codes = {EMPTY: "pass", BOTO3: "import boto3"} | {name: f"import {name}" for name in modules}
    warm_up = not session.config.smoke
    with unzipped_package(bytecode=False) as bare:
        env = _environment(bare)
        plain = _wall_samples({k: v for k, v in codes.items() if k != EMPTY}, env, runs, warm_up)
    with unzipped_package(bytecode=True) as task_root:
        env = _environment(task_root)
        samples = _wall_samples(codes, env, runs, warm_up)
        wall = {name: median(values) for name, values in samples.items()}
        worst = max(modules, key=lambda module: wall[module])
        steps, loaded = import_steps(worst, env, runs)
        machine, interpreter, suffixes = json.loads(_python(_INTERPRETER_FACTS, env).stdout)
        return ColdStart(
            runs=runs,
            modules=modules,
            wall_ms=wall,
            without_bytecode_ms={name: median(values) for name, values in plain.items()},
            worst=worst,
            steps_ms=steps,
            loaded_modules=loaded,
            tracer_ms=tracer_costs(env, runs),
            slowest_imports_ms=slowest_imports(worst, env),
            machine=machine,
            interpreter=interpreter,
            native_wheels=native_wheels(task_root / "ext", set(suffixes)),
            package_bytes=PACKAGE_ZIP.stat().st_size,
        )
