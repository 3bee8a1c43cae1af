"""Writes of evaluation, one module per sub-domain; the public services are named here.

``statements`` (课时补助月报: issue, confirm, dispute, resolve, finalize), ``assessment``
(考核: compute, confirm the lists, reopen), ``publications`` (公示: request, the beat's monthly
requests, build), ``settings`` (weights, rates and the scheme).
"""

from .assessment import assessment_compute, assessment_confirm, assessment_reopen  # noqa: F401
from .publications import (  # noqa: F401
    publication_build,
    publication_request,
    publications_monthly,
)
from .settings import assessment_scheme_update, workload_policy_update  # noqa: F401
from .statements import (  # noqa: F401
    statement_confirm,
    statement_dispute,
    statement_finalize,
    statement_line_resolve,
    statements_issue,
)
