from ordo_inventory.app import service
from ordo_runtime import main

main(service)
