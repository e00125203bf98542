"""Plain HTTP GETs against a test server, and reading its Prometheus metrics."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["get", "metric", "metrics"]


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


async def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET; HTTP errors are returned, not raised."""
    return await asyncio.to_thread(_get, url)


async def metrics(http_base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` as {(name, sorted labels): value}."""
    status, _, body = await get(f"http://{http_base}/metrics")
    assert status == 200
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metric(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """One sample's value (0 if absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
