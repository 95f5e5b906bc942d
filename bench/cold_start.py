"""Cold start: a fresh interpreter importing each handler module vs. importing boto3 alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

from bench.lambda_env import SOURCE_DIR, function_environment, handler_modules
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, ratio

TARGET_RATIO = 1.3
# Imported one after another in one fresh interpreter: each step costs what it adds.
IMPORT_STEPS = (
    "vendor",
    "boto3",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
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
print(json.dumps(steps))
"""
OWN_PREFIXES = ("filestore", "runtime_context", "handlers")
_IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(function_environment())
    env["PYTHONPATH"] = str(SOURCE_DIR)  # like Lambda's task root: source/ only
    # What the Lambda runtime sets: with them the X-Ray SDK and the Powertools Tracer behave as
    # on Lambda (tracing on, local sampling), without them they set up centralized sampling.
    env["LAMBDA_TASK_ROOT"] = str(SOURCE_DIR)
    env["AWS_LAMBDA_FUNCTION_NAME"] = "ColdStartBenchmark"
    env["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.13"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _python(
    code: str, env: dict[str, str], *args: str, flags: tuple[str, ...] = (), what: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python [flags] -c code [args]`` in a fresh interpreter; raise naming ``what``."""
    done = subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-800:]}")
    return done


def _wall_seconds(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    _python(code, env, what=f"python -c {code!r}")
    return time.perf_counter() - started


def import_breakdown(module: str, env: dict[str, str]) -> list[tuple[str, float]]:
    """The slowest imports under ``module`` (cumulative ms, one ``-X importtime`` run)."""
    done = _python(f"import {module}", env, flags=("-X", "importtime"), what=f"import {module}")
    entries = []
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            depth = len(match.group(3)) // 2
            entries.append((match.group(4), int(match.group(2)) / 1000, depth))
    total = max((ms for name, ms, _ in entries if name == module), default=0.0)
    slow = [(name, ms) for name, ms, depth in entries if 1 <= depth <= 3 and ms >= total / 10]
    return sorted(slow, key=lambda entry: -entry[1])[:8]


def import_steps(module: str, env: dict[str, str], runs: int) -> list[tuple[str, float]]:
    """Median ms each of IMPORT_STEPS (then ``module``) adds, imported in that order."""
    names = [*IMPORT_STEPS, module]
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        done = _python(_STEP_TIMER, env, *names, what="step-wise import")
        for name, ms in zip(names, json.loads(done.stdout), strict=True):
            samples[name].append(ms)
    return [(name, median(samples[name])) for name in names]


_TRACER_TIMER = """
import sys, time
import vendor, boto3, aws_xray_sdk.core
from aws_lambda_powertools import Tracer
started = time.perf_counter()
Tracer(**eval(sys.argv[1]))
print((time.perf_counter() - started) * 1000)
"""
DEFAULT_TRACER = "Tracer()"
LEAN_TRACER = "Tracer(patch_modules=['botocore'])"
TRACER_VARIANTS = {DEFAULT_TRACER: "{}", LEAN_TRACER: "{'patch_modules': ['botocore']}"}


def tracer_costs(env: dict[str, str], runs: int) -> dict[str, float]:
    """Median ms of constructing the Powertools Tracer, as Filestore does and patching less."""
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for label, arguments in TRACER_VARIANTS.items():
            done = _python(_TRACER_TIMER, env, arguments, what=f"timing {label}")
            samples[label].append(float(done.stdout.strip().splitlines()[-1]))
    return {label: median(values) for label, values in samples.items()}


def measure(session: Session) -> FigureResult:
    """Median wall time of ``python -c 'import X'`` for every handler, boto3 and nothing."""
    modules = handler_modules()[: session.config.cold_start_modules]
    if not modules:
        raise RuntimeError("no handler modules in source/handlers")
    env = _environment()
    codes = {"(empty interpreter)": "pass", "boto3": "import boto3"}
    codes.update({module: f"import {module}" for module in modules})
    if not session.config.smoke:
        for code in codes.values():  # warm-up: write bytecode caches, fill the page cache
            _wall_seconds(code, env)
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(session.config.cold_start_runs):  # interleaved, so noise hits every module alike
        for name, code in codes.items():
            samples[name].append(_wall_seconds(code, env) * 1000)
    medians = {name: median(values) for name, values in samples.items()}
    empty, boto3_ms = medians["(empty interpreter)"], medians["boto3"]
    ratios = {module: ratio(medians[module], boto3_ms) for module in modules}
    worst = max(modules, key=lambda module: ratios[module])
    result = FigureResult(
        title="Cold start",
        target=f"≤ {TARGET_RATIO}x `import boto3`",
        measured=f"worst {ratios[worst]:.2f}x ({worst}: {medians[worst]:.0f} ms vs. "
        f"{boto3_ms:.0f} ms)",
        how=(
            "Wall time of a fresh `python -c 'import handlers.<name>'` with `PYTHONPATH=source` "
            "(so `vendor` puts the vendored `source/ext` first, as on Lambda), the template's "
            "environment and the variables the Lambda runtime sets (`LAMBDA_TASK_ROOT`, "
            "`AWS_LAMBDA_FUNCTION_NAME`: tracing on, as with `Tracing: Active`), against "
            "`python -c 'import boto3'`; median of "
            f"{session.config.cold_start_runs} interleaved runs after one warm-up "
            "(bytecode cached). "
            "Import-only columns subtract an empty interpreter's start-up. The boto3 clients "
            "are created on the first invocation, so they are not part of these figures. "
            "Here the vendored wrapt runs without its C extension (it is built for arm64)."
        ),
    )
    boto3_import = boto3_ms - empty
    result.details = [
        "| module | wall ms | ratio to boto3 | import-only ms | import-only ratio |",
        "|---|---|---|---|---|",
        f"| (empty interpreter) | {empty:.0f} | | | |",
        f"| `import boto3` | {boto3_ms:.0f} | 1.00 | {boto3_import:.0f} | 1.00 |",
        *(
            f"| `{module}` | {medians[module]:.0f} | {ratios[module]:.2f} | "
            f"{medians[module] - empty:.0f} | {ratio(medians[module] - empty, boto3_import):.2f} |"
            for module in modules
        ),
    ]
    steps = import_steps(worst, env, session.config.cold_start_runs)
    result.details += [
        "",
        f"What each part adds, imported one after another in one fresh interpreter in this "
        f"order (median of {session.config.cold_start_runs}); `{worst}` last, costing only "
        "what is still missing:",
        "",
        "| import | adds ms |",
        "|---|---|",
        *(f"| `{name}` | {ms:.0f} |" for name, ms in steps),
    ]
    session.state.extra["import_steps"] = dict(steps)
    own = sum(ms for name, ms in steps if name.startswith(OWN_PREFIXES) or name == worst)
    extra = sorted(
        ((name, ms) for name, ms in steps if name not in ("boto3", worst)), key=lambda s: -s[1]
    )[:4]
    tracers = tracer_costs(env, session.config.cold_start_runs)
    result.details += [
        "",
        "Constructing the Powertools Tracer (after its imports; median of "
        f"{session.config.cold_start_runs}): "
        + ", ".join(f"`{label}` {ms:.1f} ms" for label, ms in tracers.items())
        + ". `filestore.observability` uses the second: Filestore calls AWS only through "
        "botocore, and `Tracer()` would import and patch every library X-Ray supports "
        "(`patch_all`: requests, httplib, sqlite3, ...).",
    ]
    breakdown = import_breakdown(worst, env)
    result.details += [
        "",
        f"The slowest imports under `{worst}` (`-X importtime`, cumulative, one run; nested "
        "entries are included in their parents): "
        + ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in breakdown)
        + ".",
    ]
    session.state.extra["cold_start_ms"] = medians
    result.judge(
        ratios[worst] <= TARGET_RATIO,
        f"{worst} takes {ratios[worst]:.2f}x boto3's import ({medians[worst] - boto3_ms:.0f} ms "
        f"more, {ratios[worst] / TARGET_RATIO - 1:.0%} over the target). Beyond boto3 the "
        "largest additions are "
        + ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in extra)
        + f"; Filestore's own modules (`filestore.*`, `runtime_context`, the handler) add "
        f"{own:.0f} ms. The rest is the libraries the brief requires, each importing more "
        "than Filestore uses: `aws_lambda_powertools.event_handler` loads every resolver it "
        "has (AppSync, Bedrock, VPC Lattice, ...; AppSync brings in asyncio) and all of the "
        "~35 event data classes, and the X-Ray SDK loads wrapt (whose C extension this x86 "
        "machine cannot use) and its sampling, plugin and emitter modules. The API functions "
        "need the event handler, so their floor here is about boto3 plus those libraries",
    )
    return result
