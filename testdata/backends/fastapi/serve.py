# Runs app.py with uvicorn on the listening socket passed as LISTEN_FD.
import os

import uvicorn

uvicorn.run("app:app", fd=int(os.environ["LISTEN_FD"]), log_level="warning")
