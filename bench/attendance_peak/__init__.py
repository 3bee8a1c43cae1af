"""Support for ``bench/attendance_peak.py``: the 5,000-student school (``school``) and the load
script wrk runs (``peak.lua``)."""
