"""Ordo ingestion service: takes orders from sales channels."""

from ordo_ingestion.app import service
from ordo_runtime import main

main(service)
