from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId


class CorrelationId(TraceId):
    """Ties together everything done for one user action, across services and traces.

    A trace follows one request through the services it reaches; a correlation
    id may outlive it (a job queued by the request, a retry the user makes) and
    is what support searches the logs for. It travels the same way and meets the
    same dangers, so it is made and checked by the trace id rule.
    """
