"""The Chalice application: registers the blueprints, nothing else (but for the collector).

The cyclic garbage collector stays off while the app is imported: what importing creates
(modules, botocore's and PynamoDB's classes) lives as long as the Lambda container, so the
~100 passes the collector would make over it are a cold start's time spent finding nothing
(~7% of it). Once the app is built, ``gc.freeze`` sets those objects aside for good (later
collections skip them) and collection resumes as usual.
"""

import gc

gc.disable()

from chalice import Chalice  # noqa: E402

from chalicelib.observability import logs  # noqa: E402
from chalicelib.web import (  # noqa: E402
    account,
    accounts,
    admin,
    browser,
    console,
    device,
    health,
    home,
    protocol,
    queues,
    routes,
    schedule,
)
from chalicelib.web import example_api as example  # noqa: E402

# One JSON line per request and per event, each naming its request and tenant (logger
# "oidc"); library chatter stays out.
logs.install()

app = Chalice(app_name="oidc-provider")
app.register_blueprint(health.bp)
app.register_blueprint(protocol.bp)
app.register_blueprint(browser.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(queues.bp)
app.register_blueprint(home.bp)
app.register_middleware(routes.new_scope, "http")
app.register_blueprint(schedule.bp)
app.register_blueprint(console.bp)
app.register_blueprint(accounts.bp)
app.register_blueprint(account.bp)
app.register_blueprint(example.bp)
app.register_blueprint(device.bp)

gc.freeze()
gc.enable()
