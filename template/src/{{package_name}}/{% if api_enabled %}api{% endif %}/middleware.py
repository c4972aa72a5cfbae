"""Request handling around the routes: API-key authentication, request ids and access logs.

Every request but ``/health`` and ``/ready`` must send the key in the
``X-API-Key`` header; it is compared in constant time (``hmac.compare_digest``)
with the configured one. Every response carries an ``X-Request-ID`` (the
caller's, when it is a short token, or a new one) that the access log names too.
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from typing import TYPE_CHECKING, Annotated

import structlog
from fastapi import HTTPException, Security, status
from fastapi.security import APIKeyHeader

from ..logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import Request, Response
    from pydantic import SecretStr

KEY_HEADER = "X-API-Key"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

api_key_header = APIKeyHeader(
    name=KEY_HEADER,
    auto_error=False,
    description="The data API's key (the API_KEY setting).",
)


def api_key_checker(expected: SecretStr | None) -> Callable[[str | None], None]:
    """A dependency that refuses requests without the ``expected`` key (None: accept all)."""

    def require_api_key(supplied: Annotated[str | None, Security(api_key_header)]) -> None:
        if expected is None:
            return
        if supplied is None or not hmac.compare_digest(
            supplied.encode(), expected.get_secret_value().encode()
        ):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail=f"missing or wrong {KEY_HEADER} header",
                headers={"WWW-Authenticate": KEY_HEADER},
            )

    return require_api_key


def request_id(request: Request) -> str:
    """The caller's request id when it is a short token, otherwise a new one."""
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    return supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex


async def log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Tag the request with its id, answer it, and log one access event."""
    rid = request_id(request)
    start = time.perf_counter()
    with structlog.contextvars.bound_contextvars(request_id=rid):
        response = await call_next(request)
        get_logger().info(
            "api.request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - start) * 1000, 1),
        )
    response.headers[REQUEST_ID_HEADER] = rid
    return response
