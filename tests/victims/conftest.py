from tests.interventions.world import world  # noqa: F401
from tests.support.notify import notify  # noqa: F401
