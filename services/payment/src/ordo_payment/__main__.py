from ordo_payment.app import service
from ordo_runtime import main

main(service)
