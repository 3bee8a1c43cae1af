"""Writes of enrollment (split by sub-domain in the next commit)."""

from .filling import *  # noqa: F403
