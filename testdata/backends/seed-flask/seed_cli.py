# The CLI of the seed article "[Python] SSO using Flask, requests-oauthlib
# and pyjwt" (The Digital Meadow, 2021-11-28): its Selenium code blocks in
# the order published, run by `make bench` beside clilogin's cold login on
# the same stack (devstack/cmd/bench/seed.go). Every change from the
# published text is marked "bench:" and is one a benchmark needs:
#
#   python3 seed_cli.py BACKEND_URL USER_DATA_DIR USERNAME   (password in SEED_CLI_PASSWORD)
#
# It prints the signed-in user's email, as published.
import os  # bench: the arguments and the password
import sys  # bench: the arguments and the password

from selenium import webdriver
from selenium.webdriver.chrome.options import Options as ChromeOptions
from selenium.webdriver.chrome.service import Service  # bench: Debian's chromedriver

backend, user_data_dir, username = sys.argv[1:4]  # bench: no fixed URL, a fresh profile per cold run
password = os.environ["SEED_CLI_PASSWORD"]  # bench: the IdP's demo user (not on the command line)

chrome_options = ChromeOptions()
chrome_options.add_argument("--user-data-dir=" + user_data_dir)  # bench: was chrome-data; a fresh (cold) profile each run
chrome_options.add_argument("--app=" + backend + "/login")  # bench: was http://localhost:5000/login
chrome_options.binary_location = "/usr/lib/chromium/chromium"  # bench: Debian's Chromium, the binary clilogin's chromium row runs
chrome_options.add_argument("--headless")  # bench: nobody watches; clilogin's cold login is headless too
if os.geteuid() == 0:
    chrome_options.add_argument("--no-sandbox")  # bench: Chromium refuses to run as root with its sandbox
# bench: the flags that keep Chrome off the network besides the login,
# the same ones clilogin passes (chromedriver adds --disable-background-networking,
# --disable-sync and --no-first-run itself).
chrome_options.add_argument("--disable-component-update")
chrome_options.add_argument("--disable-quic")
chrome_options.add_argument("--disable-features=Translate,PasswordManagerOnboarding,AutofillServerCommunication")
driver = webdriver.Chrome(options=chrome_options, service=Service("/usr/bin/chromedriver"))  # bench: Service: Debian's chromedriver

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support import expected_conditions as EC

# bench: the published script waits below for a person to sign in at the
# IdP. Here Selenium signs in, the plain way: wait for Dex's form, type,
# click; then grant access if Dex asks for it.
WebDriverWait(driver, 300).until(EC.visibility_of_element_located((By.NAME, "login")))
driver.find_element(By.NAME, "login").send_keys(username)
driver.find_element(By.NAME, "password").send_keys(password)
driver.find_element(By.ID, "submit-login").click()
grant = (By.XPATH, "//button[contains(., 'Grant Access')]")
WebDriverWait(driver, 300).until(EC.any_of(
    EC.visibility_of_element_located(grant),
    EC.visibility_of_element_located((By.XPATH, "//*[contains(text(), 'ok')]"))))
if driver.find_elements(*grant):
    driver.find_element(*grant).click()

WebDriverWait(driver, 300).until(
    EC.visibility_of_element_located((By.XPATH, "//*[contains(text(), 'ok')]")))

chromium_cookies = driver.get_cookies()
driver.close()

requests_cookies = {c["name"]: c["value"] for c in chromium_cookies}

import requests

token_response = requests.get(backend + "/user/token", cookies=requests_cookies)  # bench: was http://localhost:5000
token_response.raise_for_status()
token = token_response.text

userid_response = requests.get(backend + "/user/id", headers={"Authorization": f"Bearer {token}"})  # bench: was http://localhost:5000
userid_response.raise_for_status()
print(userid_response.text)
