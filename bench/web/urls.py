"""The project's URLs plus ``/__bench__/bare/``: a plain Django view rendering 60 rows from one
query, the reference every page is compared with."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from afterschool.models import Student

BARE = engines["django"].from_string(
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>参照</title></head>"
    "<body><table><thead><tr><th>学籍号</th><th>姓名</th><th>班级</th></tr></thead><tbody>"
    "{% for s in rows %}<tr><td>{{ s.student_no }}</td><td>{{ s.name }}</td>"
    "<td>{{ s.homeroom_id }}</td></tr>{% endfor %}</tbody></table></body></html>")


def bare(request):
    rows = list(Student.objects.only("student_no", "name", "homeroom_id").order_by("pk")[:60])
    return HttpResponse(BARE.render({"rows": rows}, request))


urlpatterns = [
    path("__bench__/bare/", bare),
    path("", include("afterschool.urls")),
]
