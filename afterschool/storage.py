"""Private files (uploaded rosters, patrol photos), never mixed with public ones.

Public uploads such as course pictures live in ``MEDIA_ROOT``, which the web server (and,
under DEBUG, Django itself) serves to anyone who has the name. Private files live in
``PRIVATE_MEDIA_ROOT``, which no URL pattern serves: they leave the server only through a view
that checks who is asking, so :meth:`PrivateStorage.url` refuses to make a link.
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A ``FileSystemStorage`` rooted at ``settings.PRIVATE_MEDIA_ROOT`` (read on each use)."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return os.fspath(str(settings.PRIVATE_MEDIA_ROOT))

    @property
    def location(self):
        location = os.path.abspath(self.base_location)
        media = os.path.abspath(str(settings.MEDIA_ROOT))
        if os.path.commonpath([location, media]) == media:
            raise ImproperlyConfigured(
                f"PRIVATE_MEDIA_ROOT（{location}）不能是 MEDIA_ROOT（{media}）或其中的目录："
                "MEDIA_ROOT 下的文件可以通过网址直接下载。")
        return location

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks "
                         "access.")


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """For ``FileField(storage=private_storage)``: migrations refer to this function."""
    return _private_storage
