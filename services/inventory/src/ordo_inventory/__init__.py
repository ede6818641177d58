"""Ordo inventory service: stock per SKU and reservations."""
