"""Writes of safety, one module per sub-domain; the public services are named here.

``roster`` (settings, unavailable days, generating the term's roster), ``swaps`` (调班),
``patrols`` (recording a visit, its photo) and ``follow_ups`` (整改).
"""

from .follow_ups import follow_up_transition  # noqa: F401
from .patrols import patrol_record, photo_prepared, responsible_staff  # noqa: F401
from .roster import (  # noqa: F401
    policy_for,
    policy_update,
    roster_generate,
    service_days,
    unavailability_set,
)
from .swaps import swap_request, swap_transition, swappable_partners  # noqa: F401
