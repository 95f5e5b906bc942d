"""Wires the local stack together: moto, the S3 endpoint, functions, events, schedules, web, API."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local_stack.account import ACCESS_KEY_ID, ACCOUNT_ID, API_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.apigateway import Gateway, Quota, Throttle, make_server, make_wsgi_app
from local_stack.awslambda.async_invoke import AsyncInvoker, S3EventDispatcher
from local_stack.awslambda.environment import LocalEndpoints
from local_stack.awslambda.invocation_queue import InvocationQueue
from local_stack.awslambda.invoke_endpoint import LambdaInvokeEndpoint
from local_stack.awslambda.runtime import FunctionRuntime
from local_stack.cloudformation.loader import load_stack
from local_stack.cloudformation.models import StackModel, UsagePlanModel
from local_stack.config import PORT_TAKEN, LocalConfig
from local_stack.datastore import DataDir, DataDirError
from local_stack.eventbridge.scheduler import ScheduleError, Scheduler, build_rules
from local_stack.http.threaded_server import SERVE_POLL_SECONDS, Server, werkzeug_server
from local_stack.s3.journal import ObjectJournal
from local_stack.supervisor import Supervisor
from local_stack.web import (
    WebApp,
    WebPageError,
    params_with_page_origin,
    start_publishing,
    web_page,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("local_stack")


class StartupError(RuntimeError):
    """The local stack cannot start (a port in use, a template problem, ...)."""


@dataclass
class _Served:
    name: str
    server: Server
    thread: threading.Thread


def advertised_host(host: str) -> str:
    """The host to put in URLs: a wildcard bind address is reached through loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - comparison only


@dataclass
class LocalStack:
    """The running local stack; ``start()`` serves everything, ``stop()`` frees every port."""

    config: LocalConfig
    model: StackModel = field(init=False)
    runtime: FunctionRuntime | None = field(default=None, init=False)
    async_invoker: AsyncInvoker | None = field(default=None, init=False)
    scheduler: Scheduler | None = field(default=None, init=False)
    dynamodb_url: str = field(default="", init=False)
    restored_objects: int = field(default=0, init=False)
    _data: DataDir | None = field(default=None, init=False)
    resumed_events: int = field(default=0, init=False)
    _served: list[_Served] = field(default_factory=list, init=False)
    _closers: list[Callable[[], None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        try:
            params = params_with_page_origin(
                self.config.template_path, self.config.params, self.web_url.rstrip("/")
            )
            self.model = load_stack(self.config.template_path, params)
            web_page(self.model)  # a missing resource or an unbuilt package stops the start here
        except WebPageError as err:
            raise StartupError(str(err)) from err
        if self.model.api is None:
            raise StartupError("template.yaml declares no AWS::Serverless::Api")
        try:
            # A schedule expression EventBridge would refuse stops the start before any port opens.
            build_rules(self.model.functions, datetime.now(UTC), self.config.schedule_speedup)
        except ScheduleError as err:
            raise StartupError(f"template.yaml: {err}") from err

    @property
    def api_url(self) -> str:
        assert self.model.api is not None
        host = advertised_host(self.config.host)
        return f"http://{host}:{self.config.api_port}/{self.model.api.stage}"

    @property
    def s3_url(self) -> str:
        return f"http://{advertised_host(self.config.host)}:{self.config.s3_port}"

    @property
    def web_url(self) -> str:
        return f"http://{advertised_host(self.config.host)}:{self.config.web_port}/"

    @property
    def lambda_url(self) -> str:
        """Lambda's Invoke API (``AWS_ENDPOINT_URL_LAMBDA``), SigV4 with the local keys."""
        return f"http://{advertised_host(self.config.host)}:{self.config.lambda_port}"

    def start(self) -> None:
        """Start every part; return once the page is published too.

        The API port opens last but for the page: ``GET /config`` answers once S3, DynamoDB,
        the functions and the Lambda port serve, while the WebPage function may still be
        publishing the page (a request for it waits on the web port until it is there).
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        # moto adds "Access-Control-Allow-Origin: *" to every answer unless told not to; the
        # S3 endpoint applies the bucket's own CORS rules instead.
        os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")
        self._check_ports_free()
        # moto's DynamoDB runs in its own process: its share of each request (about a third of
        # the stack's CPU for POST /file) then runs on the other core instead of under this
        # process's GIL with the gateway and the S3 endpoint. Forked before any thread starts.
        from local_stack.dynamodb.process import DynamoDBProcess

        data = self._open_data_dir()
        dynamodb = DynamoDBProcess(data.dynamodb_journal if data else None)
        self._closers.append(dynamodb.close)
        self.dynamodb_url = dynamodb.url
        from local_stack.s3 import BucketSettings, S3Endpoint, create_backend

        functions = self.model.functions
        endpoints = LocalEndpoints(
            s3_url=self.s3_url,
            dynamodb_url=self.dynamodb_url,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
        )
        runtime = FunctionRuntime(functions, endpoints, self.model.template_dir)
        self.runtime = runtime
        queue = InvocationQueue(data.invocation_queue if data else None)
        async_invoker = AsyncInvoker(functions, runtime, queue=queue)
        self.async_invoker = async_invoker
        # Closers run in reverse order: no more retries, workers stopped, then the pool drained.
        self._closers += [async_invoker.close, runtime.close, async_invoker.stop_retrying]

        journal = ObjectJournal(data.s3_directory) if data is not None else None
        buckets = {
            bucket.name: BucketSettings(
                cors_rules=[dict(rule) for rule in bucket.cors_rules], public=bucket.public_read
            )
            for bucket in self.model.buckets
        }
        endpoint = S3Endpoint(
            backend=create_backend(),
            credentials={ACCESS_KEY_ID: SECRET_ACCESS_KEY},
            region=REGION,
            buckets=buckets,
            on_object_created=S3EventDispatcher(functions, async_invoker),
            journal=journal,
        )
        self._serve("S3", self._werkzeug_server(self.config.s3_port, endpoint, "FILESTORE_S3_PORT"))
        s3 = self._client("s3", self.s3_url)  # one client: each costs ~0.1 s of start-up
        self._create_buckets(s3)
        self.restored_objects = journal.restore() if journal is not None else 0
        # Once what was kept is back, the page is published while the rest starts.
        page = start_publishing(runtime, self.model, self.api_url, self.s3_url)
        self._create_table()  # before the scheduler or any function can reach DynamoDB
        supervisor = Supervisor()
        supervisor.watch("DynamoDB", dynamodb, ready=self._dynamodb_answers)
        supervisor.start()
        self._closers.append(supervisor.stop)

        scheduler = Scheduler(
            build_rules(functions, datetime.now(UTC), self.config.schedule_speedup),
            fire=async_invoker.submit,
            speedup=self.config.schedule_speedup,
        )
        self.scheduler = scheduler
        scheduler.start()
        self._closers.append(scheduler.stop)

        lambda_endpoint = LambdaInvokeEndpoint(
            runtime,
            async_invoker,
            credentials={ACCESS_KEY_ID: SECRET_ACCESS_KEY},
            region=REGION,
            account_id=ACCOUNT_ID,
        )
        self._closers.append(lambda_endpoint.close)
        self._serve(
            "Lambda",
            self._werkzeug_server(
                self.config.lambda_port, lambda_endpoint, "FILESTORE_LAMBDA_PORT"
            ),
        )
        # The page may still be publishing: the web port holds its requests until it is.
        web = WebApp(s3, page)
        self._serve("web", self._werkzeug_server(self.config.web_port, web, "FILESTORE_WEB_PORT"))

        api = self.model.api
        assert api is not None
        gateway = Gateway(
            dict(api.swagger),
            api.stage,
            runtime,
            api_keys={self.config.api_key: API_KEY_ID},
            throttle=_throttle(api.usage_plan),
            stage_throttle=_throttle(api.stage_throttle),
            quota=_quota(api.usage_plan),
            down=supervisor.down,
        )
        # Events accepted before the last stop and never finished run now (durable mode).
        self.resumed_events = async_invoker.resume()
        app = make_wsgi_app(gateway)
        try:
            api_server = make_server(
                self.config.host, self.config.api_port, app, refusal=gateway.refusal
            )
        except OSError as err:
            raise _port_error("FILESTORE_API_PORT", self.config.api_port, err) from err
        self._serve("API", api_server)
        try:
            # start() (and the banner) waits for the page; the API answers meanwhile.
            page.result()
        except WebPageError as err:
            raise StartupError(str(err)) from err
        for function in functions.values():
            if function.s3_events:
                # Event-driven functions start their first worker once the rest is up, so the
                # first upload's event is handled at once instead of after a cold start.
                threading.Thread(target=runtime.prewarm, args=(function.logical_id,)).start()

    def _check_ports_free(self) -> None:
        """Fail at once, naming the variable, when a port is taken (not after half a start)."""
        for variable, port in (
            ("FILESTORE_S3_PORT", self.config.s3_port),
            ("FILESTORE_WEB_PORT", self.config.web_port),
            ("FILESTORE_LAMBDA_PORT", self.config.lambda_port),
            ("FILESTORE_API_PORT", self.config.api_port),
        ):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                # As the servers bind: connections left in TIME_WAIT do not count.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.config.host, port))
                except OSError as err:
                    raise _port_error(variable, port, err) from err

    def _client(self, service: str, endpoint_url: str, *, quick: bool = False) -> Any:
        import boto3
        from botocore.config import Config

        config = (
            Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
            if quick
            else None
        )
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=config,
        )

    def _open_data_dir(self) -> DataDir | None:
        if self.config.data_dir is None:
            return None
        try:
            data = DataDir(self.config.data_dir)
        except DataDirError as err:
            raise StartupError(str(err)) from err
        self._data = data  # released by stop() after every server, so nothing writes after
        return data

    def _dynamodb_answers(self) -> bool:
        """Ready after a restart: it answers, and the template's table exists again."""
        tables = self._client("dynamodb", self.dynamodb_url, quick=True).list_tables()
        if not tables["TableNames"]:
            if self.config.data_dir is None:
                log.warning("DynamoDB restarted empty (in memory): earlier records are gone")
            self._create_table()
        return True

    def _create_table(self) -> None:
        from botocore.exceptions import ClientError

        dynamodb = self._client("dynamodb", self.dynamodb_url)
        for table in self.model.tables:
            try:
                dynamodb.create_table(**table.create_table_kwargs)
            except ClientError as err:
                if err.response["Error"]["Code"] != "ResourceInUseException":
                    raise
                # Kept from the last run (FILESTORE_DATA_DIR): it must match the template.
                kept = dynamodb.describe_table(TableName=table.name)["Table"]
                if _table_shape(kept) != _table_shape(table.create_table_kwargs):
                    raise StartupError(
                        f"the {table.logical_id} kept in {self.config.data_dir} has another key "
                        "schema or indexes than template.yaml: run `make clean-data` to start "
                        "afresh"
                    ) from err

    def _create_buckets(self, s3: Any) -> None:
        for bucket in self.model.buckets:
            s3.create_bucket(Bucket=bucket.name)
            # AWS parity: as CloudFormation, a bucket without VersioningConfiguration keeps the
            # state it has (the journal restores a versioned bucket's versions and markers).
            if bucket.versioning is not None:
                s3.put_bucket_versioning(
                    Bucket=bucket.name, VersioningConfiguration={"Status": bucket.versioning}
                )
            if bucket.cors_rules:
                s3.put_bucket_cors(
                    Bucket=bucket.name,
                    CORSConfiguration={"CORSRules": bucket.put_bucket_cors_rules()},
                )

    def _werkzeug_server(self, port: int, app: WSGIApplication, variable: str) -> Server:
        try:
            return werkzeug_server(self.config.host, port, app)
        except OSError as err:
            raise _port_error(variable, port, err) from err
        except SystemExit as err:  # werkzeug exits (after printing why) when it cannot bind
            problem = OSError(f"cannot bind {self.config.host}:{port}")
            raise _port_error(variable, port, problem) from err

    def _serve(self, name: str, server: Server) -> None:
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_SECONDS},
            name=f"{name}-server",
            daemon=True,
        )
        thread.start()
        self._served.append(_Served(name, server, thread))

    def stop(self) -> None:
        """Stop serving (API first), stop the scheduler and the workers, free every port."""
        for served in reversed(self._served):
            if served.name == "API":
                _shutdown(served)
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("while stopping the local stack")
        self._closers.clear()
        for served in reversed(self._served):
            if served.name != "API":
                _shutdown(served)
        self._served.clear()
        if self._data is not None:
            self._data.close()
            self._data = None


def _table_shape(table: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must agree between a kept table and the template's: keys and index keys."""

    def keys(schema: Any) -> list[tuple[str, str]]:
        return sorted((key["AttributeName"], key["KeyType"]) for key in schema or [])

    indexes = sorted(
        (index["IndexName"], tuple(keys(index["KeySchema"])))
        for index in table.get("GlobalSecondaryIndexes") or []
    )
    return tuple(keys(table.get("KeySchema"))), tuple(indexes)


def _throttle(plan: UsagePlanModel | None) -> Throttle | None:
    if plan is None or plan.rate_limit is None or plan.burst_limit is None:
        return None
    return Throttle(rate_limit=plan.rate_limit, burst_limit=plan.burst_limit)


def _quota(plan: UsagePlanModel | None) -> Quota | None:
    if plan is None or plan.quota_limit is None:
        return None
    return Quota(limit=plan.quota_limit, period=plan.quota_period or "DAY")


def _shutdown(served: _Served) -> None:
    served.server.shutdown()
    served.server.server_close()
    served.thread.join(timeout=5)


def _port_error(variable: str, port: int, err: BaseException) -> StartupError:
    return StartupError(
        f"{PORT_TAKEN} {port} ({variable}): {err}. Stop what uses it or set {variable}."
    )
