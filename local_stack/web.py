"""The web page locally: published by the template's WebPage resource, served from its bucket."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.custom_resource import (
    CustomResourceError,
    Invoker,
    run_custom_resource,
)
from local_stack.cloudformation.exceptions import TemplateError
from local_stack.cloudformation.models import CustomResourceModel, StackModel

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
else:
    StartResponse = WSGIEnvironment = Any

WEB_PAGE_TYPE = "Custom::WebPage"
DEFAULT_ROOT_OBJECT = "index.html"  # WebDistribution's DefaultRootObject
# The object's headers CloudFront passes on to the browser, by their GetObject field.
PASSED_HEADERS = {"Content-Type": "ContentType", "Cache-Control": "CacheControl", "ETag": "ETag"}
PUBLISH_WAIT_SECONDS = 30.0  # how long a request for the page waits for its publication
PUBLISHING = b"The web page is still being published: try again in a moment.\n"
NOT_PUBLISHED = b"The web page could not be published: the local stack's log says why.\n"


class WebPageError(RuntimeError):
    """The page cannot be published locally: no WebPage resource, no package, a FAILED answer."""


def params_with_page_origin(
    template_path: Path, params: Mapping[str, str], web_origin: str
) -> dict[str, str]:
    """The parameter overrides, with an empty AllowedOrigin made the local page's origin.

    An empty AllowedOrigin means the stack's own page: on AWS the template names the CloudFront
    https origin; locally the page is served over http on the web port, ``web_origin``.
    """
    given = dict(params)
    if "AllowedOrigin" not in given:
        try:
            declared = load_cfn_yaml(template_path).get("Parameters") or {}
        except (OSError, ValueError) as err:
            raise WebPageError(f"cannot read {template_path}: {err}") from err
        if "AllowedOrigin" not in declared:
            return given
        given["AllowedOrigin"] = str(declared["AllowedOrigin"].get("Default", ""))
    if given["AllowedOrigin"] == "":
        given["AllowedOrigin"] = web_origin
    return given


def web_page(model: StackModel) -> CustomResourceModel:
    """The template's WebPage resource, once its function's package holds a built page."""
    try:
        page = model.custom_resource(WEB_PAGE_TYPE)
    except TemplateError as err:
        raise WebPageError(f"template.yaml: {err}") from err
    if page is None:
        raise WebPageError(f"template.yaml declares no {WEB_PAGE_TYPE} resource")
    function = model.functions[page.function_logical_id]
    site = model.template_dir / function.code_uri / "site" / "index.html"
    if not site.is_file():
        raise WebPageError(
            f"{site} is missing: the web page's package is not built. Run `make setup` "
            "(it builds static/web/ and the WebPage publisher's package)."
        )
    return page


def publish_web_page(invoker: Invoker, model: StackModel, api_url: str, s3_url: str) -> str:
    """Run the WebPage custom resource as CloudFormation would; return the web bucket's name."""
    page = web_page(model)
    properties = local_page_properties(page.properties, api_url, s3_url)
    try:
        run_custom_resource(invoker, page, "Create", properties)
    except CustomResourceError as err:
        raise WebPageError(f"publishing the web page failed: {err}") from err
    return str(page.properties["WebBucket"])


def start_publishing(invoker: Invoker, model: StackModel, api_url: str, s3_url: str) -> Future[str]:
    """``publish_web_page`` in its own thread; the future's result is the web bucket's name."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="publish-web")
    try:
        return executor.submit(publish_web_page, invoker, model, api_url, s3_url)
    finally:
        executor.shutdown(wait=False)


def local_page_properties(
    properties: Mapping[str, Any], api_url: str, s3_url: str
) -> dict[str, Any]:
    """The WebPage resource's properties with the local endpoints, as functions get theirs.

    The page talks to the local API and the local S3 endpoint (presigned URLs point there), and
    no CDN exists to invalidate.
    """
    return {**properties, "ApiUrl": api_url, "StorageOrigins": [s3_url], "DistributionId": ""}


class WebApp:
    """A WSGI app answering GET and HEAD with the objects of ``bucket``, read with ``s3``.

    ``bucket`` may be the future of the page's publication: the stack serves its API while the
    page is still being published, and a request for the page waits for it (at most
    ``PUBLISH_WAIT_SECONDS``) rather than see a bucket that is not filled yet.
    """

    def __init__(self, s3: Any, bucket: str | Future[str]) -> None:
        self._s3 = s3
        self._bucket = bucket

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            # AWS parity: the distribution allows GET and HEAD only (AllowedMethods).
            return _send(start_response, "403 Forbidden", b"Method not allowed\n", {}, method)
        path = environ.get("PATH_INFO", "/") or "/"
        key = path.lstrip("/") or DEFAULT_ROOT_OBJECT  # only the root gets the root object
        try:
            bucket = self._published_bucket()
        except TimeoutError:
            return _send(start_response, "503 Service Unavailable", PUBLISHING, {}, method)
        except Exception:  # the start fails with the reason; the page says only that it failed
            return _send(start_response, "503 Service Unavailable", NOT_PUBLISHED, {}, method)
        try:
            found = self._s3.get_object(Bucket=bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            # AWS parity: the origin access control may only GetObject (no ListBucket), so S3
            # answers 403 AccessDenied for a missing key and CloudFront passes it on.
            return _send(start_response, "403 Forbidden", b"AccessDenied\n", {}, method)
        headers = {
            name: str(found[field]) for name, field in PASSED_HEADERS.items() if found.get(field)
        }
        body = found["Body"].read()
        return _send(start_response, "200 OK", body, headers, method)

    def _published_bucket(self) -> str:
        if isinstance(self._bucket, str):
            return self._bucket
        return self._bucket.result(timeout=PUBLISH_WAIT_SECONDS)


def _send(
    start_response: StartResponse,
    status: str,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
) -> list[bytes]:
    sent = {
        "Content-Type": "text/plain; charset=utf-8",
        **headers,
        "Content-Length": str(len(body)),
        "X-Content-Type-Options": "nosniff",
    }
    start_response(status, list(sent.items()))
    return [b""] if method == "HEAD" else [body]
