"""Signals for the apps above: enrollment never imports them, they listen here.

``application_withdrawn`` is sent after the withdrawal commits, with ``application`` (its
``withdrawn_on`` says from when): the arrangement app frees the seat from that date.
"""

from django.dispatch import Signal

application_withdrawn = Signal()
