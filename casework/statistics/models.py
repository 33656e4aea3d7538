"""Statistics models."""
