"""What a service sees of its gRPC calls, client and server side: metrics (and, later, traces).

Each technology has a sub-package that imports its library, so none is needed by
the client itself: ``Prometheus`` (prometheus-client, the ``prometheus`` extra).
Nothing is re-exported here, so importing one never requires the others.
"""
