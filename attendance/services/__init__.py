"""Writes of attendance, one module per sub-domain; the public services are named here.

``calendar`` (the term calendar: holidays, 调休 make-up days, suspensions), ``lessons``
(generating and regenerating dated lessons), ``roll_call`` (taking a lesson's roll call),
``corrections`` (changing a locked record with a reason), ``substitutions`` (代课);
``leave`` and ``alerts`` (leave requests, absence alerts), ``dismissal`` (放学交接: releases,
handovers to the duty teacher, the sweep) and ``pickup`` (the family's day changes and pickup
codes) belong to the same package.
"""

from .alerts import (  # noqa: F401
    alert_handle,
    alerts_escalate,
    alerts_for_roll_call,
    alerts_notify,
    alerts_sweep,
)
from .calendar import calendar_day_delete, calendar_day_set  # noqa: F401
from .corrections import record_correct  # noqa: F401
from .dismissal import (  # noqa: F401
    dismissal_hand_to_duty,
    dismissal_release_by_code,
    dismissal_release_group,
    dismissal_release_to_person,
    dismissals_sweep,
    duty_release,
    may_dismiss,
    on_duty,
    pickup_code_lookup,
)
from .leave import (  # noqa: F401
    leave_record_for_family,
    leave_request_create,
    leave_transition,
)
from .lessons import lessons_regenerate  # noqa: F401
from .pickup import pickup_change_add, pickup_change_remove, pickup_code_issue  # noqa: F401
from .roll_call import may_take_roll_call, roll_call_submit  # noqa: F401
from .substitutions import substitution_assign, substitution_cancel  # noqa: F401
