"""Request plumbing of the core that every page shares."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class MustChangePasswordMiddleware:
    """After the office resets a password, the only page is "change it" until it is changed.

    The temporary password was seen by the person who handed it over; it opens nothing else,
    the admin included. Signing out and static files still work.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(
                user, "must_change_password", False):
            allowed = (reverse("password_change"), reverse("logout"))
            static = "/" + settings.STATIC_URL.lstrip("/")
            path = request.path_info
            if path not in allowed and not path.startswith(static):
                return redirect("password_change")
        return self.get_response(request)
