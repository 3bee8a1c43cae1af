"""Views of safety, one module per sub-domain: roster, swaps, patrols, follow-ups."""
