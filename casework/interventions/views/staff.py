from flask import Blueprint

bp = Blueprint("interventions", __name__)

from casework.interventions import case_sections as _case_sections  # noqa: E402,F401  (registers the case sections)
