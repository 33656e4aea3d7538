"""Risk assessment models."""
