"""The WSGI application serving the fake Pyrus API v4 from a :class:`PyrusBackend`.

One app, two transports: :class:`pyrus_mock.transport.server.TLSServer` serves it over a real HTTPS
socket, and :class:`pyrus_mock.transport.intercept.Interceptor` calls it in-process for
``requests``.

Per request, in this order: match the route (404 listing the routes, 405 naming the allowed
methods), refuse an oversized body (413), authenticate the Bearer token (401, D9), count the
request against the rate limit (429, D11), run the view. Every reply is JSON
``{"error_code", "error"}`` on failure (D10), carries ``X-RateLimit-*`` headers, and is recorded
in the backend's API log (:meth:`~pyrus_mock.state.api_log.ApiLog.record`). Whatever a view
raises becomes a 500 ``server_error`` JSON reply and is kept in :attr:`PyrusApp.errors`; nothing
escapes the app.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.formparser import FormDataParser
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.wrappers import Request

from ..domain.envelope import Refusal, error_body
from ..domain.errors import ServerThreadError
from ..domain.masking import mask_query
from ..state.backend import ApiCall
from . import auth, body, routes
from .call import Call, RawReply, Reply
from .coverage import unimplemented
from .endpoint import Endpoint, build_map, route_summary, split_prefix
from .errors import ApiError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from ..state.api_log import RateState
    from ..state.backend import PyrusBackend

__all__ = ["PyrusApp"]

_log = logging.getLogger("pyrus_mock.api")

_JSON = "application/json; charset=utf-8"


@dataclass(slots=True)
class _Trace:
    """What the request log needs to know about a request, filled in as it is handled."""

    person_id: int | None = None
    token_tail: str = ""
    rate: RateState | None = None


class _Request(Request):
    """A werkzeug request that keeps uploaded files in memory.

    The backend stores file contents as bytes anyway, and werkzeug's temporary files leak (a
    ``ResourceWarning``) when a too-large multipart body is cut off in the middle of a part.
    """

    def make_form_data_parser(self) -> FormDataParser:
        """werkzeug's form parser, storing each uploaded file in a ``BytesIO``."""
        parser = super().make_form_data_parser()
        parser.stream_factory = _memory_stream
        return parser


def _memory_stream(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    """The form parser's ``stream_factory`` (werkzeug's ``TStreamFactory``): one upload's buffer."""
    return io.BytesIO()


def _status_line(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES.get(code, 'Unknown')}"


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _from_werkzeug(exc: HTTPException) -> ApiError:
    """A werkzeug HTTP error raised while reading the request, as a Pyrus JSON error."""
    code = exc.code or 500
    if code == 413:
        return ApiError("too_large_request_length", "the request body is too large", status=413)
    if code == 408:  # the body did not arrive in time: the code the server uses for the head
        return ApiError("request_timeout", "the request did not arrive in time", status=408)
    text = exc.description or HTTP_STATUS_CODES.get(code, "error")
    return ApiError("invalid_input" if code == 400 else f"http_{code}", text, status=code)


def default_map() -> Map:
    """The ``Map`` of :data:`~pyrus_mock.api.routes.ENDPOINTS`, built on the first call and
    shared by every app.

    Building compiles every rule, including werkzeug's two URL builders per rule (``ast`` +
    ``compile()``: most of the cost, ≈ 10-20 ms for this table), so it is left to the first app
    that matches a request rather than done by every process that imports the package; a built
    ``Map`` holds no request state and is only read while matching, so sharing it is safe
    across apps and threads.
    """
    with _DEFAULT_MAP_LOCK:
        return _default_map()


_DEFAULT_MAP_LOCK = threading.Lock()  # one build, even when two threads ask first


@functools.cache
def _default_map() -> Map:
    return build_map(routes.ENDPOINTS)


class PyrusApp:
    """The fake's API as a WSGI callable.

    Args:
        backend: the state the API reads and changes.

    Attributes:
        backend: the backend.
        url_map: the werkzeug ``Map`` of :data:`pyrus_mock.api.routes.ENDPOINTS` (shared by
            every app).
    """

    def __init__(self, backend: PyrusBackend) -> None:
        self.backend = backend
        # The route table is bound on the first request (see _adapter), not here: building it
        # compiles werkzeug's URL builders for every rule, which a fake that is started but
        # never asked anything (a delivery-only test) need not pay.
        self._adapter_lock = threading.Lock()
        self._bound: MapAdapter | None = None
        # Matching is pure, so its results are cached: a test reads the same few paths over and
        # over, and werkzeug's matcher costs a tenth of a simple request (failures, which raise,
        # are not cached).
        self._match = functools.lru_cache(maxsize=1024)(self._match_uncached)
        self._errors_lock = threading.Lock()
        self._errors: list[tuple[str, BaseException]] = []

    @property
    def url_map(self) -> Map:
        """The werkzeug ``Map`` of :data:`pyrus_mock.api.routes.ENDPOINTS`, shared by every
        app."""
        return self._adapter.map

    @property
    def _adapter(self) -> MapAdapter:
        """The route table, bound once with ``Map.bind`` when first needed.

        Every request passes its own path and method to ``match``, so the server name bound
        here is never used for matching.
        """
        adapter = self._bound
        if adapter is None:
            with self._adapter_lock:
                adapter = self._bound
                if adapter is None:
                    adapter = self._bound = default_map().bind("pyrus-mock.invalid")
        return adapter

    # -- errors kept for tests -----------------------------------------------------------------

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions views raised (each answered as a 500 ``server_error``), oldest first."""
        with self._errors_lock:
            return [exc for _, exc in self._errors]

    def clear_errors(self) -> None:
        """Forget the kept exceptions, e.g. after a test that provoked one on purpose."""
        with self._errors_lock:
            self._errors.clear()

    def raise_errors(self) -> None:
        """Raise the first kept exception, if any.

        Raises:
            ServerThreadError: says which request failed; the view's exception is ``__cause__``.
        """
        with self._errors_lock:
            failures = list(self._errors)
        if failures:
            where, exc = failures[0]
            raise ServerThreadError(
                f"the Pyrus API raised {type(exc).__name__}: {exc} while handling {where}; the "
                "client got a 500 server_error. This is a bug in pyrus-mock or in a hook of the "
                "test; call app.clear_errors() if the test provoked it on purpose."
            ) from exc

    def _keep(self, where: str, exc: BaseException) -> None:
        with self._errors_lock:
            self._errors.append((where, exc))
        _log.error("pyrus-mock API: %s raised", where, exc_info=exc)

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request (never raises)."""
        started = time.perf_counter()
        # Not stored in the environ: that would make a reference cycle per request.
        request = _Request(environ, populate_request=False)
        trace = _Trace()
        error_code: str | None = None
        try:
            try:
                status, headers, payload = self._render(self._dispatch(request, trace))
            except Refusal as exc:  # ApiError included
                failure = ApiError.from_refusal(exc)
                error_code = failure.error_code
                status, headers, payload = self._render_error(failure)
            except HTTPException as exc:
                failure = _from_werkzeug(exc)
                error_code = failure.error_code
                status, headers, payload = self._render_error(failure)
            except Exception as exc:
                self._keep(f"{request.method} {request.full_path.rstrip('?')}", exc)
                failure = ApiError(
                    "server_error",
                    f"the fake raised {type(exc).__name__}: {exc}; it is kept in the app's "
                    ".errors (a bug in pyrus-mock or in a test hook)",
                    status=500,
                )
                error_code = failure.error_code
                status, headers, payload = self._render_error(failure)
            headers.extend(self._rate_headers(trace.rate))
            self._log(request, status, error_code, trace, started)
        except Exception as exc:  # the error path itself failed; still answer JSON
            self._keep(f"{request.method} {request.path} (error path)", exc)
            status = 500
            payload = error_body("server_error", "the fake failed")
            headers = [("Content-Type", _JSON), ("Content-Length", str(len(payload)))]
        finally:
            request.close()
        start_response(_status_line(status), headers)
        return [payload]

    def _match_uncached(self, path: str, method: str) -> tuple[Rule, Mapping[str, Any]]:
        return self._adapter.match(path, method, return_rule=True)

    def _endpoint(
        self, prefix: str, below: str, method: str
    ) -> tuple[Endpoint, Mapping[str, Any]] | None:
        """The endpoint answering ``method`` on ``below`` under ``prefix``, or None.

        Raises:
            MethodNotAllowed: the route exists under ``prefix`` but not for ``method``; its
                ``valid_methods`` are only the methods answering under that prefix.
        """
        try:
            rule, args = self._match(below, method)
        except MethodNotAllowed as exc:
            # werkzeug matched the path below the prefix, whatever the prefix: a path that no
            # endpoint answers under this prefix (DELETE /tasks/1) is unknown, so 404, not 405.
            # Sorted: werkzeug collects the methods in a set, so its order varies between runs.
            valid = set(exc.valid_methods or ())
            allowed = sorted(m for m in valid if self._endpoint(prefix, below, m))
            if not allowed:
                return None
            raise MethodNotAllowed(valid_methods=allowed) from None
        except HTTPException:
            return None
        spec = getattr(rule, "spec", None)
        if not isinstance(spec, Endpoint) or prefix not in spec.prefixes:
            return None
        return spec, args

    def _dispatch(self, request: Request, trace: _Trace) -> Reply:
        method, path = request.method, request.path
        prefix, below = split_prefix(path)
        try:
            found = self._endpoint(prefix, below, method)
        except MethodNotAllowed as exc:
            allowed = ", ".join(exc.valid_methods or ())
            known = _unimplemented(method, path)
            note = f" (Pyrus has {known}; the fake does not implement it)" if known else ""
            raise ApiError(
                "method_not_allowed",
                f"{method} is not allowed on {path}{note}; allowed: {allowed}",
                status=405,
                headers={"Allow": allowed},
            ) from None
        if found is None:
            shown = path if len(path) <= 120 else path[:117] + "..."
            known = _unimplemented(method, path)
            what = (
                f"{method} {shown} is a Pyrus endpoint the fake does not implement ({known})"
                if known
                else f"no such endpoint {method} {shown}"
            )
            raise ApiError("not_found", f"{what}; {_route_summary()}; see COVERAGE.md", status=404)
        spec, args = found
        backend = self.backend
        settings = backend.settings
        limit = settings.max_upload_bytes if spec.upload else settings.max_request_bytes
        body.check_length(request, limit, "upload" if spec.upload else "request body")
        api_url, files_url = auth.origins(request)
        call = Call(backend, request, api_url, files_url, limit, endpoints=routes.ENDPOINTS)
        if spec.public:
            try:
                return spec.view(call, **args)
            finally:
                if call.person is not None:  # /auth succeeded: count it for that person
                    trace.person_id = call.person.id
                    trace.rate = backend.log.rate_check(call.person.id)
        trace.token_tail = (auth.bearer_token(request) or "")[-4:]
        person, token = auth.authenticate(backend, request)
        call.person, call.token = person, token
        trace.person_id = person.id
        trace.rate = rate = backend.log.rate_check(person.id)
        if rate.exceeded:
            raise ApiError(
                "too_many_requests",
                f"more than {rate.limit} requests in {settings.rate_window:g} s; "
                f"retry in {rate.reset} s",
            )
        return spec.view(call, **args)

    # -- replies -------------------------------------------------------------------------------

    @staticmethod
    def _render(reply: Reply) -> tuple[int, list[tuple[str, str]], bytes]:
        if isinstance(reply, RawReply):
            headers = [*reply.headers, ("Content-Length", str(len(reply.body)))]
            return reply.status, headers, reply.body
        payload = _dump(reply)
        return 200, [("Content-Type", _JSON), ("Content-Length", str(len(payload)))], payload

    @staticmethod
    def _render_error(err: ApiError) -> tuple[int, list[tuple[str, str]], bytes]:
        payload = error_body(err.error_code, err.error, err.extra)
        headers = [("Content-Type", _JSON), ("Content-Length", str(len(payload)))]
        headers.extend(err.extra_headers.items())
        return int(err.code or 500), headers, payload

    def _rate_headers(self, rate: RateState | None) -> list[tuple[str, str]]:
        """``X-RateLimit-*`` (D11); requests with no known caller show a fresh window."""
        if rate is None:
            settings = self.backend.settings
            limit, remaining, reset = settings.rate_limit, settings.rate_limit, settings.rate_window
        else:
            limit, remaining, reset = rate.limit, rate.remaining, rate.reset
        return [
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str(int(reset))),
        ]

    def _log(
        self, request: Request, status: int, error_code: str | None, trace: _Trace, started: float
    ) -> None:
        backend = self.backend
        query = request.query_string.decode("latin-1")
        with backend.lock:
            backend.log.record(
                ApiCall(
                    at=backend.clock.time(),
                    method=_cut(request.method, _MAX_LOGGED_METHOD),
                    path=_cut(
                        mask_query(request.path + (f"?{query}" if query else "")),
                        _MAX_LOGGED_PATH,
                    ),
                    status=status,
                    error_code=error_code,
                    person_id=trace.person_id,
                    token_tail=trace.token_tail,
                    elapsed=time.perf_counter() - started,
                )
            )


_MAX_LOGGED_PATH = 256
"""Characters of a request's path and query kept in the API log (a flood of long unknown URLs
must not grow memory); longer ones end in a marker with the full length."""
_MAX_LOGGED_METHOD = 16


def _cut(text: str, limit: int) -> str:
    """``text``, or its first ``limit`` characters and a marker with the full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} chars in all)"  # ASCII: half the memory


def _unimplemented(method: str, path: str) -> str | None:
    """The Pyrus endpoint the fake lacks that ``path`` (under an API prefix) names, if any."""
    prefix, rest = split_prefix(path)
    return unimplemented(method, rest) if prefix else None


@functools.cache
def _route_summary() -> str:
    """The implemented routes in one line (for 404s), made on the first 404 and kept."""
    return route_summary(routes.ENDPOINTS)
