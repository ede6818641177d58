from ordo_notification.app import service
from ordo_runtime import main

main(service)
