from flask import Blueprint

bp = Blueprint("trigger_reviews", __name__)
