# shop_service/ is not tests: it is a service's source tree that the packaging test copies.
collect_ignore = ["shop_service"]
