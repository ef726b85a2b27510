# Runs the seed's app.py as published, with the three IDP_CONFIG values the
# article says to replace taken from the environment (SEED_WELL_KNOWN_URL,
# SEED_CLIENT_ID, SEED_CLIENT_SECRET), on the listening socket the caller
# passes as file descriptor LISTEN_FD (no fixed port). requests-oauthlib
# needs OAUTHLIB_INSECURE_TRANSPORT=1 for an IdP on http://localhost.
import os
import sys
import types

from werkzeug.serving import make_server

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "app.py")
with open(path) as f:
    src = f.read()
for placeholder, var in [
    ("Identity Provider wellknown url: https://{TENANT}.auth0.com/.well-known/openid-configuration", "SEED_WELL_KNOWN_URL"),
    ("Your app client ID", "SEED_CLIENT_ID"),
    ("Your app client secret", "SEED_CLIENT_SECRET"),
]:
    if placeholder not in src:
        sys.exit("serve.py: app.py no longer holds the placeholder " + repr(placeholder))
    src = src.replace(placeholder, os.environ[var])

app = types.ModuleType("app")
app.__file__ = path
sys.modules["app"] = app
exec(compile(src, path, "exec"), app.__dict__)

server = make_server("127.0.0.1", 0, app.app, threaded=True, fd=int(os.environ["LISTEN_FD"]))
print("serving", flush=True)
server.serve_forever()
