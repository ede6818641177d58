from ordo_fulfillment.app import service
from ordo_runtime import main

main(service)
