"""Who may see which rows of attendance: one scoping function per entity.

Built on the core's :class:`~afterschool.access.Actor`: views fetch through these, so "missing"
and "not yours" both answer 404.
"""

from __future__ import annotations
