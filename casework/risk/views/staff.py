from flask import Blueprint

bp = Blueprint("risk", __name__)
