"""Casework: case management for anti-social behaviour and the Community Trigger (ASB Case Review)."""

from casework.app import create_app

__all__ = ["create_app"]
