from ordo_runtime import main
from ordo_validation.app import service

main(service)
