from flask import Blueprint

bp = Blueprint("triggers", __name__)
