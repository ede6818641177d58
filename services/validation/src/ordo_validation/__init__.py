"""Ordo validation service: checks what the customer entered."""
