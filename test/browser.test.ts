/**
 * The HTML report in a real browser (Debian's chromium, driven by
 * playwright-core): charts drawn, no console errors, no network request,
 * and the flow table filters as the user types. Screenshots of the report
 * are written to docs/screenshots/ by this test when OCS_PCAP_SCREENSHOTS=1
 * (`npm run screenshots`).
 *
 * Skipped when no chromium is installed, unless OCS_PCAP_REQUIRE_TOOLS=1
 * (set by .ci/run, which installs it), where a missing browser fails.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeCapture } from "../src/analyze.js";
import { toolVersion } from "../src/cli/main.js";
import { renderHtml } from "../src/report/html.js";
import { ROOT } from "./helpers/cli.js";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
const executable = CANDIDATES.find((p): p is string => p !== undefined && p !== "" && existsSync(p));
const required = process.env.OCS_PCAP_REQUIRE_TOOLS === "1";
const shots = process.env.OCS_PCAP_SCREENSHOTS === "1";
const shotsDir = join(ROOT, "docs", "screenshots");

describe.skipIf(executable === undefined && !required)("HTML report in chromium", () => {
  let browser: Browser;
  // One context for every page (a context per page costs about half a second here).
  let context: BrowserContext;
  const dir = mkdtempSync(join(tmpdir(), "ocs-pcap-html-"));

  beforeAll(async () => {
    if (executable === undefined)
      throw new Error("chromium is required (OCS_PCAP_REQUIRE_TOOLS=1) but not installed");
    browser = await chromium.launch({
      executablePath: executable,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
    });
    context = await browser.newContext();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(fixture: string, width = 1280) {
    const report = await analyzeCapture(relative(ROOT, join(ROOT, "fixtures", fixture)), {
      version: toolVersion(),
    });
    const file = join(dir, `${fixture.replace(/\W/g, "_")}.html`);
    writeFileSync(file, renderHtml(report));
    const page = await context.newPage();
    await page.setViewportSize({ width, height: 900 });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(`file://${file}`, { waitUntil: "load" });
    return { page, problems, requests, report };
  }

  it("draws every chart, logs no error and requests nothing from the network", async () => {
    for (const fixture of ["ocs-sample.pcap", "blocked-cases.pcap", "recorded/misdirected-real.pcap"]) {
      const { page, problems, requests } = await open(fixture);
      for (const id of ["chart-verdicts", "chart-roles", "chart-timeline"]) {
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box, `${fixture} ${id}`).not.toBeNull();
        expect(box!.width).toBeGreaterThan(100);
        expect(box!.height).toBeGreaterThan(20);
        // Drawn, not an empty frame: bars or marks inside with a size of their own.
        const marks = await page.$$eval(`svg#${id} rect, svg#${id} circle, svg#${id} line`, (els) =>
          els.map((e) => {
            const r = e.getBoundingClientRect();
            return r.width * r.height > 0 || r.width > 0 || r.height > 0;
          }),
        );
        expect(marks.filter(Boolean).length, `${fixture} ${id} marks`).toBeGreaterThan(0);
      }
      expect(problems, fixture).toEqual([]);
      expect(requests, fixture).toEqual([]);
      await page.close();
    }
  });

  it("filters the flow table as the user types, and by verdict", async () => {
    const { page, report } = await open("ocs-sample.pcap");
    const visible = () => page.locator("#flows tbody tr:visible").count();
    expect(await visible()).toBe(report.flows.length);
    await page.locator("#filter").pressSequentially("5062");
    expect(await visible()).toBe(1);
    await expect(page.locator("#flows tbody tr:visible").first().textContent()).resolves.toContain(
      "10.0.0.30:5062",
    );
    await page.locator("#filter").fill("");
    await page.locator("#filter").pressSequentially("not_in");
    expect(await visible()).toBe(
      report.flows.filter((f) => f.reasons.some((r) => r.code === "not_in_catalog")).length,
    );
    await page.locator("#filter").fill("");
    await page.locator("#filter").dispatchEvent("input");
    await page.selectOption("#verdict", "misdirected");
    expect(await visible()).toBe(report.summary.misdirected);
    await expect(page.locator("#count").textContent()).resolves.toBe(
      `${report.summary.misdirected} of ${report.flows.length} flows shown.`,
    );
    await page.close();
  });

  it("sorts by a column when its header is clicked", async () => {
    const { page } = await open("blocked-cases.pcap");
    const ids = () =>
      page.$$eval("#flows tbody tr", (rows) => rows.map((r) => Number(r.cells[0]?.textContent)));
    const before = await ids();
    await page.locator("#flows thead th").first().click();
    await page.locator("#flows thead th").first().click();
    const after = await ids();
    expect(after).toEqual([...before].sort((a, b) => b - a));
    await page.close();
  });

  it("works with JavaScript off: every flow is in the table", async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const report = await analyzeCapture("fixtures/ocs-sample.pcap", { version: toolVersion() });
    const file = join(dir, "nojs.html");
    writeFileSync(file, renderHtml(report));
    const page = await noScript.newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator("#flows tbody tr:visible").count()).toBe(report.flows.length);
    expect((await page.locator("svg#chart-verdicts").boundingBox())?.width).toBeGreaterThan(100);
    await noScript.close();
  });

  it("prints without the filter controls, keeping the table and charts (screenshots under npm run screenshots)", async () => {
    const { page } = await open("ocs-sample.pcap");
    const screen = join(shotsDir, "report-ocs-sample.png");
    // PNG encoding of a full page is most of this test's time: only when asked for.
    if (shots) await page.screenshot({ path: screen, fullPage: true });
    await page.emulateMedia({ media: "print" });
    const printed = join(shotsDir, "report-ocs-sample-print.png");
    if (shots) await page.screenshot({ path: printed, fullPage: true });
    // Printed: the filter controls are hidden, the table and charts remain.
    expect(await page.locator("#filter").isVisible()).toBe(false);
    expect(await page.locator("#flows").isVisible()).toBe(true);
    expect((await page.locator("svg#chart-verdicts").boundingBox())?.width).toBeGreaterThan(100);
    await page.close();
    if (!shots) return;
    const blocked = await open("blocked-cases.pcap");
    const shot = join(shotsDir, "report-blocked-cases.png");
    await blocked.page.screenshot({ path: shot, fullPage: true });
    await blocked.page.close();
    for (const f of [screen, printed, shot]) expect(statSync(f).size).toBeGreaterThan(10_000);
  });
});
