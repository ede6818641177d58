"""Ordo ticketing service: tickets for operators and the order read model."""
