from flask import Blueprint

bp = Blueprint("interventions", __name__)
