"""Owning background tasks: start them named, stop them for sure.

Long-running loops catch errors to keep the node up; a library that turns a
cancellation into its own error (a client library that reports a cancelled
read as a lost connection) would then keep a loop alive after ``cancel()``.
Every such ``except`` calls :func:`reraise_if_cancelling` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["reraise_if_cancelling", "stop_tasks"]


def reraise_if_cancelling() -> None:
    """Raise ``CancelledError`` if the current task has been asked to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], log: Any, timeout: float = 5.0) -> None:
    """Cancel tasks and wait for them; log (never hang on) any that will not stop."""
    pending = [task for task in tasks if not task.done()]
    if not pending:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    stuck = set(pending)
    done: set[asyncio.Task[Any]] = set()
    while stuck and loop.time() < deadline:
        # cancel again each round: a library may swallow one cancellation
        for task in stuck:
            task.cancel()
        finished, stuck = await asyncio.wait(stuck, timeout=min(0.2, deadline - loop.time()))
        done |= finished
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("task_failed", task=task.get_name(), exc_info=task.exception())
    for task in stuck:
        log.error("task_did_not_stop", task=task.get_name())
