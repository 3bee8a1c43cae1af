"""The error pages: Chinese, in the site's layout, with a way back to the home page.

Views raise ``PermissionDenied("您没有权限访问此页面。")`` or ``Http404("找不到该学期。")`` with a
reason meant for the person; that reason is what the page says. Django's own messages
(``get_object_or_404``'s "No Student matches the given query.") are English and name models, so
a reason without Chinese in it is replaced by the page's general sentence.

:class:`QuietForbidden` keeps a refused request to one line in the server log: a 403 is an
expected answer, not an error, and its traceback says nothing an operator needs.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

log = logging.getLogger(__name__)

_CHINESE = re.compile(r"[\u3400-\u9fff]")


def reason_of(exception) -> str:
    """The exception's first argument if it is a sentence in Chinese, else ``""``."""
    args = getattr(exception, "args", None) or ()
    text = args[0] if args and isinstance(args[0], str) else ""
    return text if _CHINESE.search(text) else ""


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": reason_of(exception)}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", {"reason": reason_of(exception)}, status=404)


def server_error(request):
    """Rendered without the request's context: whatever failed (the database, a context
    processor) must not fail again here. Without a user the layout shows no menu."""
    try:
        body = loader.get_template("500.html").render({})
    except Exception:  # the layout itself may be what is broken
        log.exception("500.html could not be rendered")
        body = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
                "<title>系统出错</title><p>系统出错了，请稍后再试。<a href=\"/\">返回首页</a></p>")
    return HttpResponseServerError(body)


class QuietForbidden(logging.Filter):
    """Drop the traceback from ``django.request``'s "Forbidden" and "Not Found" warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
