// Checks a Playwright storageState file written by `clilogin cookies
// --format playwright`: a new browser context loads it, and a request to the
// given URL must come back 200. Prints the response body on stdout.
// Usage: node playwright-state.mjs STATE_FILE URL [CHROMIUM]
import { chromium } from "playwright-core";

const [state, url, exe = "/usr/lib/chromium/chromium"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: exe,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
});
try {
  const context = await browser.newContext({ storageState: state });
  const page = await context.newPage();
  const resp = await page.goto(url);
  if (resp.status() !== 200) {
    console.error(`playwright-state: ${url} answered ${resp.status()}`);
    process.exitCode = 1;
  } else {
    process.stdout.write(await resp.text());
  }
} finally {
  await browser.close();
}
