"""Events in a Case Review's life, sent by the services inside the transaction that records them.

Receivers (letters, notifications) may only add to the session or queue work with ``after_commit``;
they run before the commit, so a failed request leaves no trace of them either. Each signal is sent
with the application as the sender and the acting user (None for the public or the system) as
``actor``, plus the keyword arguments named below.
"""

from blinker import Namespace

_signals = Namespace()

application_received = _signals.signal("application-received")
application_screened_out = _signals.signal("application-screened-out")
application_acknowledged = _signals.signal("application-acknowledged")
#: ``decision``: the ThresholdDecision.
threshold_decided = _signals.signal("threshold-decided")
#: ``meeting``: the ReviewMeeting.
meeting_arranged = _signals.signal("meeting-arranged")
#: ``meeting``: the ReviewMeeting whose outcome was recorded (no letter yet: see ``review_completed``).
outcome_recorded = _signals.signal("outcome-recorded")
#: ``meeting``: the ReviewMeeting confirmed complete; ``send_letter``: whether the outcome letter goes
#: out now (False for past work recorded late).
review_completed = _signals.signal("review-completed")
#: ``meeting``: the ReviewMeeting whose arrangements changed; ``invite``: the victim is newly invited.
meeting_updated = _signals.signal("meeting-updated")
#: ``appeal``: the Appeal.
appeal_lodged = _signals.signal("appeal-lodged")
appeal_decided = _signals.signal("appeal-decided")
application_withdrawn = _signals.signal("application-withdrawn")
