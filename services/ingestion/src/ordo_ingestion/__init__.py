"""Ordo ingestion service: takes orders from sales channels."""
