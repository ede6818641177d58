"""Ordo's order process as data. Importable, never run on its own."""
