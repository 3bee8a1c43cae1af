from . import arrangement_urls, catalog_urls

app_name = "courses"

urlpatterns = [*catalog_urls.urlpatterns, *arrangement_urls.urlpatterns]
