"""The web UI in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): a fresh production server is initialised and unsealed through the UI, a userpass user
logs in, writes a secret twice, reads its history, destroys version 1, revokes a lease and is
refused a path its policy denies, with the API's message on screen. Screenshots of each screen
go to Tests/Interop/artifacts/ui/ (docs/ui.md shows them)."""
import json
import os
import shutil
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from production import ProductionServer

ARTIFACTS = Path(os.environ.get("TRESOR_UI_ARTIFACTS", Path(__file__).parent / "artifacts" / "ui"))
POLICY = """
path "secret/data/app/*" { capabilities = ["create", "read", "update", "delete"] }
path "secret/metadata/*" { capabilities = ["read", "list", "update"] }
path "secret/destroy/app/*" { capabilities = ["update"] }
path "secret/delete/app/*" { capabilities = ["update"] }
path "secret/undelete/app/*" { capabilities = ["update"] }
path "auth/token/create" { capabilities = ["update"] }
path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/mounts" { capabilities = ["read"] }
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise RuntimeError("chromium is not installed (scripts/test.sh installs Debian's chromium and chromium-driver)")


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = chromium()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_window_size(1280, 800)
    yield driver
    driver.quit()


@pytest.fixture
def server(tmp_path):
    s = ProductionServer(tmp_path).start()
    yield s
    s.stop()


class UI:
    def __init__(self, driver, server):
        self.driver, self.server = driver, server
        self.wait = WebDriverWait(driver, 15)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def go(self, fragment):
        self.driver.get(f"{self.server.addr}/ui/#{fragment}")

    def heading(self, text):
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), text))

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def button(self, text):
        return self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//button[normalize-space()='{text}']")))

    def alert_text(self, contains):
        self.wait.until(lambda d: contains in d.find_element(By.ID, "alert").text)
        return self.driver.find_element(By.ID, "alert").text

    def shot(self, name):
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_unseal_login_secrets_history_lease_and_denial(browser, server):
    ui = UI(browser, server)
    # A fresh server: the UI sends the visitor to init.
    ui.go("/")
    ui.heading("Initialize Tresor")
    ui.shot("01-init")
    ui.find("input[name=shares]").clear()
    ui.find("input[name=shares]").send_keys("5")
    ui.find("input[name=threshold]").clear()
    ui.find("input[name=threshold]").send_keys("3")
    ui.button("Initialize").click()
    ui.find("#unseal-keys li")
    keys = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#unseal-keys li code")]
    root = ui.find("#root-token").text
    assert len(keys) == 5 and root
    ui.shot("02-init-keys")
    ui.button("Continue to unseal").click()

    # Three keys, one at a time, with the progress shown.
    ui.heading("Unseal Tresor")
    for n, key in enumerate(keys[:3], start=1):
        field = ui.find("input[name=key]")
        field.send_keys(key)
        if n == 2:
            ui.shot("03-unseal")
        ui.button("Unseal").click()
        if n < 3:
            ui.wait.until(EC.text_to_be_present_in_element((By.ID, "unseal-progress"), f"{n} of 3"))
    ui.heading("Log in")
    assert requests.get(f"{server.addr}/v1/sys/seal-status", timeout=10).json()["sealed"] is False

    # An operator sets up KV, a policy and a user over the API.
    def call(method, path, body=None, token=root):
        r = requests.request(method, f"{server.addr}/v1/{path}", headers={"X-Vault-Token": token}, json=body, timeout=10)
        assert r.status_code in (200, 204), r.text
        return r.json() if r.status_code == 200 else None
    call("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
    call("PUT", "sys/policies/acl/app", {"policy": POLICY})
    call("POST", "sys/auth/userpass", {"type": "userpass"})
    call("POST", "auth/userpass/users/alice", {"password": "correct horse", "token_policies": "app"})

    # Login with userpass.
    Select(ui.find("#login-method")).select_by_value("userpass")
    ui.find("input[name=username]").send_keys("alice")
    ui.find("input[name=password]").send_keys("correct horse")
    ui.shot("04-login")
    ui.button("Log in").click()
    ui.heading("Secrets engines")
    ui.shot("05-secrets-engines")
    token = browser.execute_script("return sessionStorage.getItem('tresor.token')")
    assert token and browser.execute_script("return window.localStorage.length") == 0
    assert token not in browser.current_url

    # A secret with two versions.
    ui.go("/kv/secret/app/config")
    ui.heading("Secret app/config")
    rows = browser.find_elements(By.CSS_SELECTOR, "#kv-pairs .kv-row")
    rows[0].find_element(By.NAME, "key").send_keys("password")
    rows[0].find_element(By.NAME, "value").send_keys("first-secret")
    ui.button("Save").click()
    ui.alert_text("Saved version 1")
    ui.wait.until(EC.text_to_be_present_in_element((By.ID, "shown-version"), "Version 1"))
    value = browser.find_elements(By.CSS_SELECTOR, "#kv-pairs .kv-row input[name=value]")[0]
    value.clear()
    value.send_keys("second-secret")
    ui.button("Add key").click()
    last = browser.find_elements(By.CSS_SELECTOR, "#kv-pairs .kv-row")[-1]
    last.find_element(By.NAME, "key").send_keys("user")
    last.find_element(By.NAME, "value").send_keys("app")
    ui.button("Save").click()
    ui.alert_text("Saved version 2")
    ui.wait.until(EC.text_to_be_present_in_element((By.ID, "shown-version"), "Version 2"))
    cell = ui.find("code.secret-value[data-key=password]")
    assert cell.text == "••••••••", "values are hidden until revealed"
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Reveal password']").click()
    assert cell.text == "second-secret"
    assert "second-secret" not in browser.current_url
    ui.shot("06-secret")

    # History, a diff of keys, then destroy version 1.
    history = browser.find_element(By.XPATH, "//h2[text()='Version history']/following-sibling::table[1]")
    assert "v2" in history.text and "v1" in history.text
    ui.button("Compare keys").click()
    ui.wait.until(EC.text_to_be_present_in_element((By.ID, "kv-diff"), "user added"))
    ui.shot("07-history-diff")
    ui.find("button[data-version='1']").click()
    browser.switch_to.alert.accept()
    ui.alert_text("Destroyed version 1")
    ui.wait.until(lambda d: "destroyed" in d.find_element(By.XPATH, "//h2[text()='Version history']/following-sibling::table[1]").text)
    versions = call("GET", "secret/metadata/app/config")["data"]["versions"]
    assert versions["1"]["destroyed"] is True and versions["2"]["destroyed"] is False
    ui.shot("08-destroyed")

    # A lease: a token alice made, revoked from the leases screen.
    child = call("POST", "auth/token/create", {"policies": ["default"], "ttl": "1h"}, token=token)["auth"]["client_token"]
    ui.go("/leases/auth/token/create/")
    ui.heading("Leases")
    ui.find("main table button.link").click()
    ui.find("#lease-details table")
    ui.shot("09-lease")
    ui.button("Revoke").click()
    browser.switch_to.alert.accept()
    ui.alert_text("Revoked")
    assert requests.get(f"{server.addr}/v1/auth/token/lookup-self", headers={"X-Vault-Token": child}, timeout=10).status_code == 403

    # A path the policy denies: the API's own message, on screen.
    ui.go("/kv/secret/forbidden/thing")
    text = ui.alert_text("permission denied")
    assert "permission denied" in text
    ui.shot("10-denied")

    # The phone-sized screen.
    browser.set_window_size(390, 844)
    ui.go("/kv/secret/app/config")
    ui.heading("Secret app/config")
    ui.shot("11-secret-390x844")


def test_ui_headers_forbid_inline_scripts_and_other_origins(server):
    r = requests.get(f"{server.addr}/ui/", timeout=10)
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "<script>" not in r.text.replace('<script type="module" src="/ui/app.js"></script>', "")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    js = requests.get(f"{server.addr}/ui/app.js", timeout=10)
    assert js.status_code == 200 and "javascript" in js.headers["Content-Type"]
    assert requests.get(f"{server.addr}/ui/../v1/sys/health", timeout=10).status_code in (200, 404, 501, 503)
    assert requests.get(f"{server.addr}/ui/nope.js", timeout=10).status_code == 404
    root = requests.get(f"{server.addr}/", allow_redirects=False, timeout=10)
    assert root.status_code in (301, 302, 307) and root.headers["Location"] == "/ui/"


def test_ui_off_when_the_config_says_so(tmp_path):
    s = ProductionServer(tmp_path, extra_config="").start()
    try:
        text = s.config.read_text().replace("ui = true", "ui = false")
        s.stop()
        s.config.write_text(text)
        s.start()
        assert requests.get(f"{s.addr}/ui/", timeout=10).status_code == 404
    finally:
        s.stop()
