"""About the service: the privacy notice and the accessibility statement every public body's website
must publish, filled in from the organisation settings (``CASEWORK_ORGANISATION_NAME`` and the rest)."""
