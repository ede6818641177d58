"""OpenTelemetry: trace context travels between services in the W3C `traceparent` header."""

from __future__ import annotations

import os
import random

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
tracer = trace.get_tracer("ordo")
_recording = False


def setup_tracing(service: str) -> None:
    """A real SDK provider, so every service mints spans and passes their context on; spans are
    exported only when an exporter is configured (OTLP if its package is installed, or console)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    global _recording
    exporter = _exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
        _recording = True
    trace.set_tracer_provider(provider)


def _exporter() -> SpanExporter | None:
    if os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        return ConsoleSpanExporter()
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError:
            return None
        return OTLPSpanExporter()  # type: ignore[no-any-return]
    return None


def context_from(traceparent: str | None) -> context.Context | None:
    if not traceparent:
        return None
    return _propagator.extract({"traceparent": traceparent})


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def recording() -> bool:
    """Whether spans are exported; when not, context is still propagated (see `child_of`)."""
    return _recording


def child_of(traceparent: str | None) -> str:
    """The traceparent of a step caused by `traceparent`: the same trace, a new span id.
    Building it directly costs microseconds, where an SDK span with context propagation
    costs ~100 µs per message; with no exporter that span would be recorded nowhere."""
    parts = traceparent.split("-") if traceparent else ()
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        trace_id, flags = parts[1], parts[3]
    else:
        trace_id, flags = f"{random.getrandbits(128):032x}", "01"
    return f"00-{trace_id}-{random.getrandbits(64) or 1:016x}-{flags}"
