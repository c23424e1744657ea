from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """A user as this context needs one, whatever the user service's wire format looks like.

    Adapters translate into it, so a field added to the remote message never
    leaks into the application layer unannounced.
    """

    id: str
    name: str
    email: str
    created_at: str
