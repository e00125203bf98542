"""``GET /stats``: the node's metrics as JSON, for the operators' dashboard.

It mirrors ``/metrics`` rather than keeping counts of its own: the document
is built from the node's Prometheus registry on each request, so every
metric the node defines (now or later) appears, with the same names and
labels, and the same caveats: gauges of shared state (queue, listeners,
sessions) are cluster-wide, counters and histograms count what this node did
since it started. The shape (also in the dashboard's README section)::

    {"v": 1, "node": "<node id>", "ts": <ms since the epoch>,
     "metrics": {
       "chat_queue_length": {"type": "gauge", "help": "...",
                             "values": {"topic=anxiety": 2, "topic=none": 0}},
       "chat_sessions_active": {"type": "gauge", "help": "...", "values": {"": 3}},
       "chat_sessions_ended_total": {"type": "counter", "help": "...",
                                     "values": {"reason=idle": 1, ...}},
       "chat_wait_seconds": {"type": "histogram", "help": "...",
                             "values": {"": {"buckets": {"1": 0, ..., "+Inf": 4},
                                             "count": 4, "sum": 33.5}}}}}

A series is keyed by its labels as ``name=value`` pairs joined with ``,`` in
label order (``""`` without labels); histogram buckets are cumulative, keyed
by their upper bound. Unlike ``/metrics`` (for a scraper on the internal
network) this is meant for a browser, so it needs a supervisor's token: it
reveals no words or people, but the service's load is the operator's
business.
"""

from __future__ import annotations

import http
import json
import math
from typing import Any

from prometheus_client import CollectorRegistry
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from .auth import verify_token
from .clock import now_ms
from .config import AuthConfig
from .errors import ClientError
from .types import Role

__all__ = ["STATS_VERSION", "bearer_token", "snapshot", "stats_response"]

STATS_VERSION = 1


def _number(value: float) -> int | float | None:
    """JSON-friendly: whole numbers as integers, NaN and infinities as null."""
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _bound(le: str) -> str:
    """A bucket's upper bound as written in the document: ``"5"``, ``"0.5"``, ``"+Inf"``."""
    value = float(le)
    if math.isinf(value):
        return "+Inf"
    return str(int(value)) if value.is_integer() else repr(value)


def _series_key(labels: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in labels.items())


def _histogram(samples: list[Any]) -> dict[str, dict[str, Any]]:
    series: dict[str, dict[str, Any]] = {}
    for sample in samples:
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        entry = series.setdefault(_series_key(labels), {"buckets": {}, "count": 0, "sum": 0})
        if sample.name.endswith("_bucket"):
            entry["buckets"][_bound(sample.labels["le"])] = _number(sample.value)
        elif sample.name.endswith("_count"):
            entry["count"] = _number(sample.value)
        elif sample.name.endswith("_sum"):
            entry["sum"] = _number(sample.value)
    return series


def snapshot(registry: CollectorRegistry) -> dict[str, Any]:
    """Every metric family of ``registry`` as ``{name: {type, help, values}}``.

    Counters are named with their ``_total`` suffix, as ``/metrics`` shows them;
    ``_created`` timestamps are left out.
    """
    out: dict[str, Any] = {}
    for family in registry.collect():
        if family.type == "histogram":
            out[family.name] = {
                "type": "histogram",
                "help": family.documentation,
                "values": _histogram(family.samples),
            }
            continue
        name = family.name + "_total" if family.type == "counter" else family.name
        values = {
            _series_key(dict(sample.labels)): _number(sample.value)
            for sample in family.samples
            if sample.name == name
        }
        out[name] = {"type": family.type, "help": family.documentation, "values": values}
    return out


def bearer_token(headers: Headers) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _json(status: http.HTTPStatus, body: dict[str, Any], extra: Headers | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
    )
    if extra is not None:
        headers.update(extra)
    return Response(status.value, status.phrase, headers, data)


def _refused(status: http.HTTPStatus, code: str, message: str) -> Response:
    extra = None
    if status is http.HTTPStatus.UNAUTHORIZED:
        extra = Headers([("WWW-Authenticate", 'Bearer realm="chatserver stats"')])
    return _json(status, {"error": code, "message": message}, extra)


def stats_response(
    request: Request, auth: AuthConfig, registry: CollectorRegistry, node_id: str
) -> Response:
    """Answer ``GET /stats``: 401 without a valid token, 403 for a listener's, else the JSON."""
    token = bearer_token(request.headers)
    if token is None:
        return _refused(
            http.HTTPStatus.UNAUTHORIZED,
            "unauthorized",
            "send a supervisor's token as 'Authorization: Bearer <token>'",
        )
    try:
        claims = verify_token(token, auth.secret, leeway_s=auth.leeway_s)
    except ClientError as exc:
        message = exc.message.replace("hello.token", "token")
        return _refused(http.HTTPStatus.UNAUTHORIZED, "unauthorized", message)
    if claims.role is not Role.SUPERVISOR:
        return _refused(
            http.HTTPStatus.FORBIDDEN, "forbidden", "the dashboard is for supervisors' tokens only"
        )
    body = {"v": STATS_VERSION, "node": node_id, "ts": now_ms(), "metrics": snapshot(registry)}
    return _json(http.HTTPStatus.OK, body)
