#!/usr/bin/env python3
"""Drive Debian's headless chromium (through chromedriver and PyPI's selenium) over pages, for the test suite.

Usage: browser-check.py [--dnt] [--gpc] [--screenshots DIR] PAGE_JSON...

Each PAGE_JSON is an object:
  url      the page to load
  name     screenshot file name (without .png); optional
  width    window width in CSS pixels (default 1280)
  clicks   CSS selectors clicked in order, once the page has loaded
  wait     a JavaScript expression polled (up to 20 s) until it is truthy, after the clicks
  eval     a JavaScript expression whose (JSON-able) value is reported

Prints one JSON array: per page {name, url, title, console: [{level, message}], result, waited}. --dnt turns on
Chrome's Do-Not-Track preference (navigator.doNotTrack == "1" and the DNT header); --gpc makes
navigator.globalPrivacyControl true before any script of the page runs. Exits 2 when the browser can't be driven.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main(argv):
    dnt = "--dnt" in argv
    gpc = "--gpc" in argv
    screenshots = None
    pages = []
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument == "--screenshots":
            screenshots = argv[index + 1]
            index += 2
            continue
        if not argument.startswith("--"):
            pages.append(json.loads(argument))
        index += 1

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions", "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if dnt:
        options.add_experimental_option("prefs", {"enable_do_not_track": True})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as error:  # the browser is missing or broken: say so, don't pretend pages passed
        print(json.dumps({"error": str(error)}))
        return 2
    results = []
    try:
        driver.set_page_load_timeout(30)
        if gpc:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
                "source": "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"})
        for page in pages:
            width = int(page.get("width", 1280))
            driver.set_window_size(width, 900)
            driver.get(page["url"])
            for selector in page.get("clicks", []):
                driver.find_element(By.CSS_SELECTOR, selector).click()
            waited = None
            if page.get("wait"):
                deadline = time.time() + 20
                waited = False
                while time.time() < deadline:
                    if driver.execute_script("return !!(" + page["wait"] + ")"):
                        waited = True
                        break
                    time.sleep(0.05)
            result = driver.execute_script("return (" + page["eval"] + ")") if page.get("eval") else None
            if screenshots and page.get("name"):
                os.makedirs(screenshots, exist_ok=True)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(max(int(height), 600), 4000))
                driver.save_screenshot(os.path.join(screenshots, page["name"] + ".png"))
            console = [{"level": entry["level"], "message": entry["message"]} for entry in driver.get_log("browser")]
            results.append({"name": page.get("name"), "url": page["url"], "title": driver.title,
                            "console": console, "result": result, "waited": waited})
    finally:
        driver.quit()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
