"""Take the screenshots of docs/screenshots/ again: what people see, in English and Chinese,
at 1280 px and at phone width (375 px).

    .venv/bin/python docs/screenshots/take.py            # every page, both languages, both widths
    .venv/bin/python docs/screenshots/take.py home account --lang zh-hans --width 375

It starts its own server on a temporary data folder and SQLite database (migrate,
collectstatic, catalog load, demo, `runserver` on a free port; whatever DATABASE_URL says is
ignored), signs in the demo person and the demo admin (enrolling a TOTP authenticator for it,
as the console asks a superuser to), makes the data the pages show (an access request per
language whose export the task worker builds, a deletion of one category for its
certificate), walks the pages in headless Chromium (Debian's /usr/bin/chromium, Playwright from
`.[test]`) and writes docs/screenshots/<name>-<lang>-<width>.png (full page, at most 3000 px
high, reduced to a 256-colour palette) and the list in docs/screenshots/README.md. The export
report is report.html taken from the export ZIP and opened in the browser. Everything it
made is deleted at the end.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LANGS = ("en", "zh-hans")
WIDTHS = (1280, 375)
MAX_HEIGHT = 3000
REQUEST_TYPES = ("access", "portability", "correction", "deletion", "withdrawal",
                 "explanation", "complaint")

# name -> (who, path or callable key, what it shows); the order of the README
PAGES = {
    "home": ("anon", "/", "The home page: the site's privacy center"),
    "signup": ("anon", "/account/signup/", "Sign-up, with the privacy policy linked"),
    "account": ("person", "/account/", "My account (Personal Information Edit)"),
    "choices": ("person", "/privacy/choices/", "Privacy choices: consents, and what we "
                "process without asking"),
    "cookies": ("person", "/privacy/cookies/", "Cookies and storage"),
    "location-consent": ("person", "@location", "A separate consent asked at the point of "
                         "use (nearby service points), with its own notice"),
    "requests": ("person", "/privacy/requests/", "My requests"),
    "request-new": ("person", "/privacy/requests/new/", "Make a request: choose the kind"),
    **{f"request-new-{kind}": ("person", f"/privacy/requests/new/?type={kind}",
                               f"The request form for {kind}") for kind in REQUEST_TYPES},
    "request-cancel": ("person", "/privacy/requests/cancel/", "Cancel my account"),
    "request-detail": ("person", "@request", "A completed access request with its export"),
    "request-redacted": ("person", "@redacted", "A complaint whose text held an ID number: "
                         "where it was removed, in the reader's words"),
    "export-report": ("file", "@report", "report.html from the export ZIP"),
    "certificate": ("person", "@certificate", "The deletion certificate of a deletion request"),
    "dashboard": ("staff", "/admin/dashboard/", "The operator dashboard in the staff console"),
    "audit": ("staff", "/admin/audit/auditevent/", "The console's audit trail"),
    "discovery-findings": ("staff", "/admin/discovery/finding/", "PII discovery: what "
                           "`piwarden discover` found where nobody declared it"),
    "discovery-scan": ("staff", "/admin/discovery/scan/", "Scan a text for personal "
                       "information (the console's page of the scan API)"),
}


# A complaint that holds an ID number the person gave no separate consent for: screening
# removes it before the request is stored (docs/discovery.md).
COMPLAINT = {
    "en": "You called me at 13912345678 although my ID number 110101199003077571 is on your "
          "do-not-call list.",
    "zh-hans": "我的身份证号110101199003077571已登记在你们的免打扰名单上，"
               "你们还是打了我的电话13912345678。",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """piwarden on a temporary data folder, with the demo."""

    def __init__(self, data: Path):
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PIWARDEN_DATA_DIR": str(data),
                    "DATABASE_URL": f"sqlite:///{data / 'piwarden.sqlite3'}",
                    "PIWARDEN_LOG_LEVEL": "WARNING", "PIWARDEN_DEBUG": "false"}
        for name in ("PIWARDEN_EMAIL_HOST", "PIWARDEN_MESSAGE_DIR", "PIWARDEN_SMS_FILE",
                     "PIWARDEN_SMS_BACKEND"):
            self.env.pop(name, None)
        self.env["PIWARDEN_SITE_URL"] = self.base  # links made by the worker process too
        self.process = None

    def piwarden(self, *args: str) -> str:
        result = subprocess.run([str(BIN / "piwarden"), *args],  # noqa: S603 - our own command
                                cwd=ROOT, env=self.env,
                                capture_output=True, text=True, check=False)
        if result.returncode:
            sys.exit(f"piwarden {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def set_up(self) -> None:
        print("setting up a demo in", self.data, flush=True)
        self.piwarden("migrate", "--noinput", "-v0")
        self.piwarden("collectstatic", "--noinput", "-v0")
        self.piwarden("catalog", "load")
        self.piwarden("demo")
        self.piwarden("discover")
        self.piwarden("shell", "-c", ENROL.format(path=self.data / "staff-totp.json"))

    def start(self) -> None:
        log = (self.data / "server.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [str(BIN / "piwarden"), "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        for _ in range(240):
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        sys.exit("the server did not start:\n" + (self.data / "server.log").read_text())

    def healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def work(self) -> None:
        """What the task worker does: build exports, run erasures, send messages."""
        self.piwarden("worker", "--batch")

    def credentials(self) -> dict:
        return json.loads((self.data / "demo-credentials.txt").read_text())


ENROL = """
import json, pyotp
from django.contrib.auth import get_user_model
from piwarden.roles import second_factor
user = get_user_model().objects.get(username="admin")
if not second_factor.enrolled(user):
    secret = second_factor.start_enrolment(user=user)
    totp = pyotp.TOTP(secret)
    assert second_factor.confirm_enrolment(user=user, code=totp.now())
    open("{path}", "w").write(json.dumps({{"secret": secret, "used": totp.timecode(
        __import__("datetime").datetime.now()) + 1}}))
"""


class Walk:
    def __init__(self, server: Server, browser):
        self.server = server
        self.browser = browser
        self.states: dict[str, dict] = {}
        self.made: dict[str, str] = {}  # "@request:en" -> path, "@report:en" -> file

    # --- sessions -------------------------------------------------------------------------

    def context(self, who: str, lang: str, width: int):
        context = self.browser.new_context(
            base_url=self.server.base, viewport={"width": width, "height": 720},
            storage_state=self.states.get(who), accept_downloads=True,
            locale="zh-CN" if lang == "zh-hans" else "en-US",
            geolocation={"latitude": 31.23, "longitude": 121.47}, permissions=["geolocation"])
        context.add_cookies([{"name": "django_language", "value": lang,
                              "url": self.server.base}])
        if who not in self.states:
            page = context.new_page()
            page.goto("/privacy/cookies/")
            reject(page)
            if who == "person":
                self.log_in_person(page)
                page.goto("/privacy/cookies/")
                reject(page)  # the banner asks the signed-in person again
            elif who == "staff":
                self.log_in_staff(page)
            self.states[who] = context.storage_state()
            page.close()
        return context

    def log_in_person(self, page) -> None:
        creds = self.server.credentials()
        page.goto("/account/login/")
        page.fill("input[name=identifier]", creds["person_login"])
        page.fill("input[name=password]", creds["person_password"])
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        if "/login/" in page.url:
            sys.exit("the demo person could not sign in")

    def log_in_staff(self, page) -> None:
        import pyotp

        creds = self.server.credentials()
        totp_file = self.server.data / "staff-totp.json"
        totp = json.loads(totp_file.read_text())
        now = pyotp.TOTP(totp["secret"]).timecode(__import__("datetime").datetime.now())
        step = max(totp["used"] + 1, now - 1)
        while step > now + 1:  # this step's code is used: wait for the next one
            time.sleep(2)
            now = pyotp.TOTP(totp["secret"]).timecode(__import__("datetime").datetime.now())
        totp["used"] = step
        totp_file.write_text(json.dumps(totp))
        page.goto("/admin/login/?next=/admin/")
        page.fill("input[name=username]", creds["username"])
        page.fill("input[name=password]", creds["password"])
        page.fill("input[name=otp]", pyotp.TOTP(totp["secret"]).generate_otp(step))
        page.locator("form:has(input[name=username]) [type=submit]").click()
        page.wait_for_load_state()
        if "/admin/login/" in page.url:
            sys.exit("the demo admin could not sign in")

    def goto(self, page, path: str):
        """Open ``path``; confirm the password when the page asks for a fresh check."""
        response = page.goto(path)
        if "/account/reauth/" in page.url:
            page.fill("input[name=password]", self.server.credentials()["person_password"])
            page.locator("main form [type=submit]").first.click()
            page.wait_for_load_state()
        return response

    # --- the data the pages show ----------------------------------------------------------

    def make_data(self) -> None:
        """Requests for the request pages and the dashboard (an access request per language
        with its export, a deletion of one category, an explanation left open), and a few
        cookie-banner choices for the dashboard's consent chart."""
        for choice in ("Accept all", "Reject all", "Accept all"):
            context = self.browser.new_context(base_url=self.server.base, locale="en-US")
            page = context.new_page()
            page.goto("/privacy/cookies/")
            page.get_by_role("button", name=choice, exact=True).click()
            page.wait_for_timeout(300)
            context.close()
        for lang in LANGS:
            context = self.context("person", lang, 1280)
            page = context.new_page()
            self.goto(page, "/privacy/requests/new/?type=access")
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
            request_path = page.url.replace(self.server.base, "")
            if not re.search(r"/privacy/requests/[0-9a-f-]{36}/$", request_path):
                sys.exit(f"the access request was not made ({lang}): {page.url}")
            self.made[f"@request:{lang}"] = request_path
            self.server.work()
            self.goto(page, request_path)
            link = page.locator("main a[href*='/privacy/data/exports/']").first
            with page.expect_download() as download:
                link.click()
            folder = self.server.data / f"report-{lang}"
            with zipfile.ZipFile(download.value.path()) as archive:
                archive.extractall(folder)
            self.made[f"@report:{lang}"] = (folder / "report.html").as_uri()
            self.goto(page, "/privacy/requests/new/?type=complaint")
            page.locator("main form textarea").first.fill(COMPLAINT[lang])
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
            self.made[f"@redacted:{lang}"] = page.url.replace(self.server.base, "")
            context.close()
        context = self.context("person", "en", 1280)
        page = context.new_page()
        self.goto(page, "/privacy/requests/new/?type=deletion")
        boxes = page.locator("main input[type=checkbox]")
        values = [boxes.nth(n).get_attribute("value") for n in range(boxes.count())]
        keep = ("phone", "email", "account", "credential", "password")
        choice = next((v for v in values if "address" in v),
                      next(v for v in values if not any(k in v for k in keep)))
        page.locator(f"main input[type=checkbox][value='{choice}']").check()
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        self.server.work()
        self.goto(page, page.url)
        link = page.locator("main a[href*='/privacy/data/certificates/']").first
        self.made["@certificate"] = link.get_attribute("href")
        self.goto(page, "/privacy/requests/new/?type=explanation")
        page.locator("main form textarea").first.fill(
            "How long do you keep my order history, and why?")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        context.close()

    # --- shooting -------------------------------------------------------------------------

    def shoot(self, name: str, lang: str, width: int) -> Path:
        who, target, _what = PAGES[name]
        path = OUT / f"{name}-{lang}-{width}.png"
        if who == "file":
            context = self.browser.new_context(viewport={"width": width, "height": 720})
            page = context.new_page()
            page.goto(self.made[f"{target}:{lang}"])
        else:
            context = self.context(who, lang, width)
            page = context.new_page()
            if target == "@location":  # the prompt where it appears, not the whole page
                self.goto(page, "/")
                reject(page)
                page.locator("#nearby").click()
                dialog = page.get_by_role("dialog").last
                dialog.wait_for()
                dialog.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                page.screenshot(path=str(path))
                context.close()
                small(path)
                return path
            else:
                where = {"@request": self.made.get(f"@request:{lang}"),
                         "@redacted": self.made.get(f"@redacted:{lang}"),
                         "@certificate": self.made.get("@certificate")}.get(target, target)
                self.goto(page, where)
        page.wait_for_load_state("networkidle")
        if who != "staff":
            reject(page)
        page.wait_for_timeout(150)
        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        page.screenshot(path=str(path), full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": height})
        context.close()
        small(path)
        return path


def reject(page) -> None:
    """Close the cookie banner ("Reject all"), so it covers no page."""
    button = page.get_by_role("button", name=re.compile(r"^(Reject all|全部拒绝)$"))
    try:
        button.first.wait_for(timeout=1000)  # the banner appears once its script has run
    except PlaywrightTimeout:
        return
    button.first.click()
    page.get_by_role("dialog").filter(has=button).wait_for(state="detached", timeout=3000)


def small(path: Path) -> None:
    """A 256-colour palette PNG: a fraction of the size, the text as sharp."""
    from PIL import Image

    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


README = """# Screenshots: what people see

Taken by `docs/screenshots/take.py` (issue 17) from a fresh demo, in headless Chromium, in
English and Chinese, at 1280 px and at phone width (375 px). Each is the full page, cut at
{max_height} px.

Re-take all of them (about {minutes} minutes; it starts and stops its own server on a temporary
SQLite database, so it touches nothing else):

```sh
.venv/bin/python docs/screenshots/take.py
.venv/bin/python docs/screenshots/take.py account choices --lang zh-hans --width 375   # a few
```

| Page | What it shows | English | 中文 |
|---|---|---|---|
{rows}
"""


def write_readme(minutes: int) -> None:
    rows = []
    for name, (_who, _target, what) in PAGES.items():
        cells = []
        for lang in LANGS:
            links = [f"[{width}](./{name}-{lang}-{width}.png)" for width in WIDTHS
                     if (OUT / f"{name}-{lang}-{width}.png").exists()]
            cells.append(" · ".join(links) or "—")
        rows.append(f"| `{name}` | {what} | {cells[0]} | {cells[1]} |")
    (OUT / "README.md").write_text(README.format(max_height=MAX_HEIGHT, minutes=minutes,
                                                 rows="\n".join(rows)))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"pages to take (default all): {list(PAGES)}")
    parser.add_argument("--lang", choices=LANGS, action="append")
    parser.add_argument("--width", type=int, choices=WIDTHS, action="append")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(PAGES)
    if unknown:
        parser.error(f"unknown page(s): {sorted(unknown)}")
    names = args.names or list(PAGES)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="piwarden-shots-") as folder:
        server = Server(Path(folder))
        server.set_up()
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium,
                                                     args=["--no-sandbox"], headless=True)
                walk = Walk(server, browser)
                if any(PAGES[n][1] in ("@request", "@report", "@certificate", "@redacted")
                       for n in names):
                    walk.make_data()
                for name in names:
                    for lang in args.lang or LANGS:
                        for width in args.width or WIDTHS:
                            path = walk.shoot(name, lang, width)
                            print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB",
                                  flush=True)
                browser.close()
        finally:
            server.stop()
    write_readme(max(1, round((time.monotonic() - started) / 60)))


if __name__ == "__main__":
    main(sys.argv[1:])
