from .access import actor_from_request


def school(request):
    """The current Actor, for the navigation bar; resolved once per request."""
    if not hasattr(request, "user"):
        return {}
    actor = actor_from_request(request)
    return {"actor": actor, "current_school": actor.school}
