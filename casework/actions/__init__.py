"""Multi-agency actions on cases (and from Case Review recommendations)."""
