"""Notice pages: marking notices read, the office's record of e-mails and SMS, and each
person's notice settings."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, ListView

from .. import access, selectors, services
from ..forms import NoticePreferenceForm
from ..mixins import ActorMixin
from ..models import Delivery, Role
from ..params import ids, safe_next

FILTERS = {
    "open": ("待发送和失败", [Delivery.Status.PENDING, Delivery.Status.FAILED]),
    "pending": ("待发送", [Delivery.Status.PENDING]),
    "failed": ("发送失败", [Delivery.Status.FAILED]),
    "sent": ("已发送", [Delivery.Status.SENT]),
}


class NoticeReadView(ActorMixin, View):
    def post(self, request):
        services.notice_mark_read(user=request.user, notice_ids=ids(request.POST.getlist("notice")))
        return HttpResponseRedirect(
            safe_next(request, request.POST.get("next"), reverse("school:home")))


class DeliveryListView(ActorMixin, ListView):
    """通知发送记录: what was sent to whom by e-mail and SMS, what is waiting, what failed and why."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "afterschool/deliveries.html"
    context_object_name = "deliveries"
    paginate_by = 50

    def get_filter(self) -> str:
        value = self.request.GET.get("status", "open")
        return value if value in FILTERS else "open"

    def get_queryset(self):
        return (access.deliveries_visible_to(self.actor)
                .filter(status__in=FILTERS[self.get_filter()][1])
                .select_related("notice__user").order_by("-created_at", "-pk"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        counts = {(row["channel"], row["status"]): row["n"] for row in
                  access.deliveries_visible_to(self.actor)
                  .values("channel", "status").annotate(n=Count("pk")).order_by()}
        ctx["totals"] = [
            {"label": label, "pending": counts.get((channel, Delivery.Status.PENDING), 0),
             "sent": counts.get((channel, Delivery.Status.SENT), 0),
             "failed": counts.get((channel, Delivery.Status.FAILED), 0)}
            for channel, label in Delivery.Channel.choices]
        ctx["filters"] = [(key, label) for key, (label, _) in FILTERS.items()]
        ctx["current"] = self.get_filter()
        return ctx


class DeliveryRetryView(ActorMixin, View):
    """Send the chosen failed deliveries again."""

    allowed_roles = (Role.COORDINATOR,)

    def post(self, request):
        count = services.delivery_retry(actor=self.actor,
                                        delivery_ids=ids(request.POST.getlist("delivery")))
        if count:
            messages.success(request, f"已重新发送 {count} 条，结果稍后在本页查看。")
        else:
            messages.info(request, "没有选中发送失败的记录。")
        return redirect(f"{reverse('school:deliveries')}?status=pending")


class NoticePreferenceView(ActorMixin, FormView):
    """通知方式: site notices always; SMS and e-mail as the person chooses."""

    template_name = "afterschool/notice_preferences.html"
    form_class = NoticePreferenceForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = selectors.notice_preference_of(self.request.user)
        return kwargs

    def form_valid(self, form):
        services.notice_preference_update(user=self.request.user,
                                          email=form.cleaned_data["email"],
                                          sms=form.cleaned_data["sms"])
        messages.success(self.request, "通知方式已保存。")
        return redirect("school:notice_preferences")
