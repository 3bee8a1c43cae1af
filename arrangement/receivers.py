"""Receivers of the arrangement: what it does when enrollment moves on."""

from enrollment.signals import application_withdrawn


def free_seat_on_withdrawal(sender, application, **kwargs):
    """A withdrawn child's seats are freed from the date the withdrawal takes effect."""
    from .services import arrangement_release_withdrawn

    arrangement_release_withdrawn(application=application)


def connect() -> None:
    application_withdrawn.connect(free_seat_on_withdrawal,
                                  dispatch_uid="arrangement.free_seat_on_withdrawal")
