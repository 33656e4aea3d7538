"""The Police and Crime Commissioner's review of a "threshold not met" decision (Crime and Policing Act
2026, the local policing body review of ASB Case Review decisions).

Kept apart from the rest of the Case Review so the route can be read, switched on and changed on its
own: ``models`` (the request and its outcome, recorded on the application), ``settings`` (the dated
switch and the timescales), ``services`` (the rules), ``letters`` (the two letters' default text).
"""
