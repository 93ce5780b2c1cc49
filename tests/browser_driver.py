"""A stand-in for a person at a browser, run by the helper through ``$BROWSER``.

Given the address the helper opens (its one-time start URL) it does what a browser and
a person would: loads it, follows redirects (to the authorize URL and on), keeps
cookies as a browser does (the helper's binding cookie too, sent back on the callback:
a top-level navigation, which SameSite=Lax allows), fills in the sign-in form it finds
and follows the final redirect to the loopback callback, then reads the page the
helper answers with. What it saw is appended as one JSON line to
``$BROWSER_DRIVER_RECORD``. With ``$BROWSER_DRIVER_GO`` (a FIFO) it waits until a line
is written there before it starts: a browser slow to start.

``$BROWSER_DRIVER_MODE`` picks the behaviour:
    signin        sign in with $BROWSER_DRIVER_USER / $BROWSER_DRIVER_PASSWORD
    deny          press Cancel on the sign-in page (-> error=access_denied)
    forge-state   sign in, call back with another state, then with the real one
    drop-state    sign in, call back without state, then with the real one
    no-cookie     sign in, call back without cookies (as another browser would), then
                  with them
    drop-code     sign in, then call back with the state but neither code nor error
    twice         load the start URL a second time before going on
    steal-code    sign in, try the code at the token endpoint without the verifier (as
                  someone who intercepted it would), then call back with it
    never         record the URL and never call back
    fail          exit 1 at once, as a browser that cannot start

Usable in-process too: ``drive(url, ...)`` without calling back returns the address
the browser ended on, for the ``--no-browser`` paste-back.
"""

from __future__ import annotations

import html.parser
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from email.message import Message
from http.cookiejar import CookieJar


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _Forms(html.parser.HTMLParser):
    """The first form of a page: its action and its inputs' default values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}
        self._in_form = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done:
            self._in_form = True
            self.action = values.get("action", "")
        elif tag == "input" and self._in_form and "name" in values:
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "button" and self._in_form and "name" in values:
            self.buttons.setdefault(values["name"], []).append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self.done = True


@dataclass
class Visit:
    opened_url: str
    mode: str
    authorize_url: str | None = None
    visited: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    callback_url: str | None = None
    callback_status: int | None = None
    callback_page: str | None = None
    # what a first, tampered callback got (forge-state, drop-state, no-cookie)
    first_callback_status: int | None = None
    first_callback_page: str | None = None
    # what a second load of the start URL got (twice)
    again_status: int | None = None
    again_page: str | None = None
    problem: str | None = None
    stolen: int | None = None  # the token endpoint's status for a stolen code


def _same_endpoint(url: str, redirect_uri: str) -> bool:
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(redirect_uri)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def _tamper(url: str, mode: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if mode == "forge-state":
        query = [(k, "forged-by-an-attacker" if k == "state" else v) for k, v in query]
    elif mode == "drop-state":
        query = [(k, v) for k, v in query if k != "state"]
    elif mode == "drop-code":
        query = [(k, v) for k, v in query if k != "code"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _open(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request
) -> tuple[int, Message, str]:
    """(status, headers, page) of one request, whatever its status."""
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def browser() -> urllib.request.OpenerDirector:
    """A browser's HTTP side: it keeps cookies and lets ``drive`` follow redirects."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(CookieJar()),
        _NoRedirect(),
    )


def drive(
    url: str,
    *,
    mode: str = "signin",
    username: str = "",
    password: str = "",
    call_back: bool = True,
    max_steps: int = 12,
    opener: urllib.request.OpenerDirector | None = None,
) -> Visit:
    """Load ``url`` and act as ``mode`` says until the browser is sent to redirect_uri
    (the authorize URL on the way names it). ``opener``: the browser (its cookies) to
    use, from ``browser``; a new one by default."""
    visit = Visit(opened_url=url, mode=mode)
    redirect_uri = ""
    opener = opener or browser()
    request = urllib.request.Request(url)  # noqa: S310 - tests reach loopback servers
    for _ in range(max_steps):
        visit.visited.append(request.full_url)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.full_url).query))
        if not redirect_uri and "redirect_uri" in query:
            redirect_uri, visit.authorize_url = query["redirect_uri"], request.full_url
        try:
            status, headers, page = _open(opener, request)
        except OSError as exc:
            visit.problem = f"{request.full_url} failed: {exc}"
            return visit
        if mode == "twice" and request.full_url == url and visit.again_status is None:
            again = _open(opener, urllib.request.Request(url))  # noqa: S310
            visit.again_status, visit.again_page = again[0], again[2]
        if status in (301, 302, 303, 307, 308):
            target = urllib.parse.urljoin(request.full_url, headers["Location"])
            if redirect_uri and _same_endpoint(target, redirect_uri):
                visit.callback_url = target
                break
            request = urllib.request.Request(target)  # noqa: S310
            continue
        visit.pages.append(page)
        forms = _Forms()
        forms.feed(page)
        if status != 200 or forms.action is None:
            visit.problem = f"stopped at HTTP {status} without a form to fill in"
            return visit
        data = dict(forms.fields)
        data["username"] = username
        if "password" in data:
            data["password"] = password
        data["action"] = "cancel" if mode == "deny" else "signin"
        request = urllib.request.Request(  # noqa: S310
            urllib.parse.urljoin(request.full_url, forms.action or request.full_url),
            data=urllib.parse.urlencode(data).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        visit.problem = "too many steps"
        return visit
    if mode == "steal-code" and visit.callback_url and visit.authorize_url:
        visit.stolen = _try_stolen_code(visit.authorize_url, visit.callback_url)
    if call_back and mode != "never" and visit.callback_url:
        come_back(visit, opener, mode)
    return visit


def come_back(visit: Visit, opener: urllib.request.OpenerDirector, mode: str = "signin") -> None:
    """The browser's last step: the callback, after a tampered one where ``mode`` says."""
    assert visit.callback_url is not None
    try:
        if mode in ("forge-state", "drop-state", "no-cookie"):
            first = urllib.request.Request(  # noqa: S310
                _tamper(visit.callback_url, mode)
            )
            without_cookies = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            status, _headers, page = _open(
                without_cookies if mode == "no-cookie" else opener, first
            )
            visit.first_callback_status, visit.first_callback_page = status, page
        url = _tamper(visit.callback_url, mode) if mode == "drop-code" else visit.callback_url
        status, _headers, page = _open(opener, urllib.request.Request(url))  # noqa: S310
        visit.callback_status, visit.callback_page = status, page
    except OSError as exc:
        visit.problem = f"callback failed: {exc}"


def _try_stolen_code(authorize_url: str, callback_url: str) -> int:
    """Redeem the code without the PKCE verifier; returns the HTTP status."""
    parts = urllib.parse.urlsplit(authorize_url)
    token_url = urllib.parse.urlunsplit(
        parts._replace(path=parts.path.rsplit("/", 1)[0] + "/token", query="")
    )
    sent = dict(urllib.parse.parse_qsl(parts.query))
    form = {
        "grant_type": "authorization_code",
        "code": dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback_url).query))["code"],
        "client_id": sent["client_id"],
        "redirect_uri": sent["redirect_uri"],
        "code_verifier": "a-guess-at-the-verifier-that-is-long-enough-to-be-well-formed",
    }
    request = urllib.request.Request(  # noqa: S310
        token_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with plain.open(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def main(argv: list[str]) -> int:
    mode = os.environ.get("BROWSER_DRIVER_MODE", "signin")
    if mode == "fail":
        return 1
    url = argv[1]
    go = os.environ.get("BROWSER_DRIVER_GO")
    if go:
        with open(go, encoding="utf-8") as fifo:  # blocks until the test says go
            fifo.readline()
    if mode == "never":
        visit = Visit(opened_url=url, mode=mode)
    else:
        visit = drive(
            url,
            mode=mode,
            username=os.environ.get("BROWSER_DRIVER_USER", ""),
            password=os.environ.get("BROWSER_DRIVER_PASSWORD", ""),
        )
    record = os.environ.get("BROWSER_DRIVER_RECORD")
    if record:
        with open(record, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(visit)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
