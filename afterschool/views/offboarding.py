"""Offboarding: the office stops a member of staff (离职) or takes one role from them.

Effective from the person's next request: roles are read from rows on every request
(afterschool/access.py), and a login left without any role is closed (an inactive login is
signed out by Django on its next request). Each step is an AccountEvent on 账号记录."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import TemplateView

from .. import access, services
from ..exceptions import DomainError
from ..mixins import ActorMixin
from ..models import Guardian, Role, RoleAssignment
from ..params import client_ip, text_param


class OffboardView(ActorMixin, TemplateView):
    """GET: the person's roles here and what each step does; POST ``action``: ``deactivate``
    or ``remove_role`` (with ``role``), an optional reason."""

    allowed_roles = (Role.COORDINATOR,)
    template_name = "afterschool/staff_offboard.html"

    def staff(self):
        return get_object_or_404(access.staff_visible_to(self.actor).prefetch_related(
            "homerooms__grade"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        staff = self.staff()
        grants = (list(RoleAssignment.objects.filter(user_id=staff.user_id,
                                                     school=self.actor.school))
                  if staff.user_id else [])
        removable = [(g.role, g.get_role_display()) for g in grants
                     if g.role in services.REMOVABLE_ROLES]
        homerooms = list(staff.homerooms.all())
        if homerooms:
            removable.append((Role.HOMEROOM_TEACHER, Role.HOMEROOM_TEACHER.label))
        is_guardian = bool(staff.user_id) and Guardian.objects.filter(
            user_id=staff.user_id).exists()
        return super().get_context_data(
            staff=staff, grants=grants, homerooms=homerooms, removable=removable,
            is_guardian=is_guardian,
            is_self=staff.user_id is not None and staff.user_id == self.request.user.pk,
            **kwargs)

    def post(self, request, pk):
        staff = self.staff()
        action = request.POST.get("action")
        reason = text_param(request.POST.get("reason"), 100)
        try:
            if action == "deactivate":
                services.staff_deactivate(actor=self.actor, staff=staff, reason=reason,
                                          ip_address=client_ip(request))
                messages.success(request, f"已停用{staff.name}：其下一次打开任何页面时即不再有"
                                          "教职工权限。请在统筹安排中为其教学班另派教师。")
                return redirect("school:staff_list")
            if action == "remove_role":
                role = text_param(request.POST.get("role"), 30)
                services.staff_role_remove(actor=self.actor, staff=staff, role=role,
                                           reason=reason, ip_address=client_ip(request))
                messages.success(request, f"已移除{staff.name}的“{Role(role).label}”角色，"
                                          "下一次打开页面时生效。")
                return redirect("school:staff_offboard", staff.pk)
            raise DomainError("请选择要办理的事项。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("school:staff_offboard", staff.pk)
