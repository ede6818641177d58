from ordo_runtime import main
from ordo_ticketing.app import service

main(service)
