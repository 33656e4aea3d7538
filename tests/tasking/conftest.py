from tests.interventions.world import world  # noqa: F401
