"""Writes of attendance, one module per sub-domain; the public services are named here.

``calendar`` (the term calendar: holidays, 调休 make-up days, suspensions), ``lessons``
(generating and regenerating dated lessons), ``roll_call`` (taking a lesson's roll call),
``corrections`` (changing a locked record with a reason), ``substitutions`` (代课);
``leave`` and ``alerts`` (leave requests, absence alerts) belong to the same package.
"""
