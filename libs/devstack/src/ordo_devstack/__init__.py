"""Embedded real servers for trying and testing Ordo: Tansu (Kafka protocol), PostgreSQL, SMTP."""
