from tests.support.notify import notify  # noqa: F401
