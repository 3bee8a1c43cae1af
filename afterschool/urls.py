from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from .views import accounts

urlpatterns = [
    # Browsers and crawlers ask for /favicon.ico whatever the page says; the icon is an SVG
    # under /static/ (a hashed name in production, so not a permanent redirect).
    path("favicon.ico", RedirectView.as_view(url=lazy(static_url, str)("favicon.svg"))),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("activate/", accounts.ActivateView.as_view(), name="activate"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("admin/", admin.site.urls),
    path("enrollment/", include("enrollment.urls")),
    path("courses/", include("courses.urls")),
    path("courses/arrangement/", include("arrangement.urls")),
    path("attendance/", include("attendance.urls")),
    path("safety/", include("safety.urls")),
    path("surveys/", include("surveys.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("afterschool.views.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Chinese pages in the site's layout (used when DEBUG is off); see afterschool/errors.py.
handler403 = "afterschool.errors.permission_denied"
handler404 = "afterschool.errors.page_not_found"
handler500 = "afterschool.errors.server_error"
