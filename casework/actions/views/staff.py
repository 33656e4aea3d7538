from flask import Blueprint

bp = Blueprint("actions", __name__)

from casework.actions import case_sections as _case_sections  # noqa: E402,F401  (registers the case sections)
