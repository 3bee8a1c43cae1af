"""View plumbing: the Actor on every request, role gates at dispatch."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from .access import actor_from_request


class ActorMixin(LoginRequiredMixin):
    """Signed-in only; ``self.actor`` is who this person is in the current school.

    ``allowed_roles`` (if set) gates the whole view: anyone without one of them gets 403.
    """

    allowed_roles: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.actor = actor_from_request(request)
        if self.allowed_roles and not self.actor.has(*self.allowed_roles):
            raise PermissionDenied("您没有权限访问此页面。")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("actor", self.actor)
        return super().get_context_data(**kwargs)
