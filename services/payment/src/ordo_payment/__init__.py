"""Ordo payment service: settlement and provider notifications."""
