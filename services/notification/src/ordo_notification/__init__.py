"""Ordo notification service: tells the customer at each step."""
