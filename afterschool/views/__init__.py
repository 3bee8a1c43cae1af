"""The core's pages, one module per sub-domain; ``urls.py`` lists them (namespace ``school``).

The project's URLconf is ``afterschool/urls.py``: it includes every app, this package's list
among them, and keeps the sign-in pages (from :mod:`.accounts`) at the site's root.
"""
