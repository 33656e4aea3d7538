"""Intervention models."""
