"""The baseline for the latency script: the smallest Flask endpoint, under the same server settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}
