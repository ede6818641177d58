"""Ordo's service runtime: batched Kafka consumers, event-sourced state with tracking, outbox relay, dead letters, tracing, health."""
