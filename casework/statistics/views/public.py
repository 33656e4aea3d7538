from flask import Blueprint

bp = Blueprint("statistics", __name__)
