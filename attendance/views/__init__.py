"""Pages of attendance, one module per sub-domain (calendar, lessons, roll call, board, records,
corrections; leave and alerts). ``attendance/urls.py`` imports the modules directly."""
