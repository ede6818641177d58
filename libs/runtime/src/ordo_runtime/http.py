"""Each service's HTTP face: its own routes plus /health, /ready and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import FastAPI, Request, Response

if TYPE_CHECKING:
    from ordo_runtime.service import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def add_probes(app: FastAPI) -> None:
    @app.get("/health", tags=["probes"])
    async def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/ready", tags=["probes"])
    async def ready(request: Request, response: Response) -> dict[str, Any]:
        runtime = runtime_of(request)
        problems = await runtime.readiness_problems()
        if problems:
            response.status_code = 503
        return {"ready": not problems, "problems": problems}

    @app.get("/metrics", tags=["probes"])
    async def metrics(request: Request) -> dict[str, Any]:
        return runtime_of(request).metrics()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The service runner owns the signals and stops the server itself.
        yield


async def serve(app: FastAPI, host: str, port: int, stop: asyncio.Event) -> None:
    server = _Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
