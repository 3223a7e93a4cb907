"""The Chalice application: registers the blueprints, nothing else."""

import logging

from chalice import Chalice

from chalicelib.web import admin, browser, health, protocol

# One structured line per request and per event (logger "oidc"); library chatter stays out.
logging.getLogger("oidc").setLevel(logging.INFO)
for noisy in ("botocore", "pynamodb"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

app = Chalice(app_name="oidc-provider")
app.register_blueprint(health.bp)
app.register_blueprint(protocol.bp)
app.register_blueprint(browser.bp)
app.register_blueprint(admin.bp)
