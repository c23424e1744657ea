"""An example bounded context: a back office that reads users from the user service over gRPC.

It shows the layout this library is meant for. ``Users/Domain`` holds the port
(``UserFinder``) and what it returns, ``Users/Application`` the query handler that
depends on the port only, and ``Users/Infrastructure`` the gRPC adapter, a
service-layer wrapper and the injector wiring. ``app.Demo``'s user
service is the other side.
"""
