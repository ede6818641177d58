"""Ordo's producer puts each key on the partition Kafka's default partitioner would."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from ordo_runtime.kafka import murmur2, partition_for


@given(st.binary(max_size=200))
def test_murmur2_is_kafkas(key: bytes) -> None:
    assert murmur2(key) == aiokafka_murmur2(key)


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=64))
def test_a_key_lands_where_the_default_partitioner_puts_it(key: bytes, count: int) -> None:
    partitions = list(range(count))
    assert partition_for(key, partitions, partitions) == DefaultPartitioner()(
        key, partitions, partitions
    )


def test_known_values_from_the_java_client() -> None:
    # Utils.murmur2 in the Java client, as its own tests give them (signed ints there).
    assert murmur2(b"21") & 0xFFFFFFFF == -973932308 & 0xFFFFFFFF
    assert murmur2(b"foobar") & 0xFFFFFFFF == -790332482 & 0xFFFFFFFF
    assert murmur2(b"") & 0xFFFFFFFF == 275646681


def test_no_key_goes_to_an_available_partition() -> None:
    assert partition_for(None, [0, 1, 2], [2]) == 2
    assert partition_for(None, [0, 1, 2], []) in {0, 1, 2}
