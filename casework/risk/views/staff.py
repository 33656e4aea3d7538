from flask import Blueprint

bp = Blueprint("risk", __name__)

from casework.risk import case_sections as _case_sections  # noqa: E402,F401  (registers the case sections)
