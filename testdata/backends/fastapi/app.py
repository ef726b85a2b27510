# A FastAPI backend written the way Authlib's documentation shows a FastAPI
# (Starlette) OpenID Connect login: SessionMiddleware, oauth.register with
# server_metadata_url, /login -> authorize_redirect to the route named
# "auth", /auth -> authorize_access_token and a redirect home. Two API
# routes as FastAPI's documentation writes them: a path operation that
# returns a str (FastAPI answers it as a JSON string) and one that returns a
# dict, behind HTTPBearer.
#
# Configuration from the environment: OIDC_METADATA_URL, OIDC_CLIENT_ID,
# OIDC_CLIENT_SECRET, SESSION_SECRET.
import json
import os

import jwt
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import HTMLResponse, RedirectResponse

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key=os.environ["SESSION_SECRET"])

oauth = OAuth()
oauth.register(
    name="dex",
    server_metadata_url=os.environ["OIDC_METADATA_URL"],
    client_id=os.environ["OIDC_CLIENT_ID"],
    client_secret=os.environ["OIDC_CLIENT_SECRET"],
    client_kwargs={"scope": "openid email profile"},
)


@app.get("/")
async def homepage(request: Request):
    user = request.session.get("user")
    if user:
        data = json.dumps(user)
        html = f'<pre>{data}</pre><a href="/logout">logout</a>'
        return HTMLResponse(html)
    return HTMLResponse('<a href="/login">login</a>')


@app.get("/login")
async def login(request: Request):
    # str(): Starlette >= 0.26 returns a URL object, which Authlib 1.2 cannot encode.
    redirect_uri = str(request.url_for("auth"))
    return await oauth.dex.authorize_redirect(request, redirect_uri)


@app.get("/auth")
async def auth(request: Request):
    try:
        token = await oauth.dex.authorize_access_token(request)
    except OAuthError as error:
        return HTMLResponse(f"<h1>{error.error}</h1>")
    user = token.get("userinfo")
    if user:
        request.session["user"] = dict(user)
        request.session["id_token"] = token["id_token"]
    return RedirectResponse(url="/")


@app.get("/logout")
async def logout(request: Request):
    request.session.pop("user", None)
    request.session.pop("id_token", None)
    return RedirectResponse(url="/")


@app.get("/api/token")
async def api_token(request: Request) -> str:
    if "id_token" not in request.session:
        raise HTTPException(status_code=401, detail="Not authenticated")
    return request.session["id_token"]


bearer = HTTPBearer()


async def current_user(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> dict:
    metadata = await oauth.dex.load_server_metadata()
    jwks = jwt.PyJWKClient(metadata["jwks_uri"])
    try:
        key = jwks.get_signing_key_from_jwt(credentials.credentials)
        return jwt.decode(credentials.credentials, key.key, algorithms=["RS256"], audience=os.environ["OIDC_CLIENT_ID"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="Invalid token")


@app.get("/api/me")
async def api_me(user: dict = Depends(current_user)):
    return {"sub": user["sub"], "email": user.get("email"), "name": user.get("name")}
