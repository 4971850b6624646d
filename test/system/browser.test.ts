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
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeCapture } from "../../src/analyze.js";
import { toolVersion } from "../../src/cli/main.js";
import { renderHtml } from "../../src/report/html.js";
import { ROOT } from "../helpers/cli.js";

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

  it("links finding ids to their flow rows, never wraps a timestamp at 900 or 1400 pixels, and numbers clustered attempts", async () => {
    for (const width of [900, 1400]) {
      const { page, report } = await open("blocked-cases.pcap", width);
      // Every timestamp cell is one line of text.
      const lines = await page.$$eval("td.ts", (cells) =>
        cells.map((td) => {
          const range = td.ownerDocument.createRange();
          range.selectNodeContents(td);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        }),
      );
      expect(lines.length).toBeGreaterThan(report.flows.length);
      expect(
        lines.filter((n) => n !== 1),
        `${width} px`,
      ).toEqual([]);
      // A finding's flow id jumps to that flow's row.
      const first = report.blocked[0]!.flows[0]!;
      await page.locator(`#blocked a[href="#flow-${first}"]`).click();
      expect(new URL(page.url()).hash).toBe(`#flow-${first}`);
      expect(await page.locator(`tr#flow-${first}`).evaluate((tr) => tr.matches(":target"))).toBe(true);
      expect(await page.locator(`tr#flow-${first}`).isVisible()).toBe(true);
      // Blocked attempts a second apart in a six-minute capture: one dot with their count, listing each.
      const cluster = await page.$$eval("svg#chart-timeline text", (texts) =>
        texts.map((t) => Number(t.textContent)).filter((n) => Number.isInteger(n) && n > 1),
      );
      expect(cluster.length).toBeGreaterThan(0);
      const titles = await page.$$eval("svg#chart-timeline circle title", (ts) =>
        ts.map((t) => t.textContent ?? ""),
      );
      expect(titles.some((t) => t.split("\n").length === Math.max(...cluster))).toBe(true);
      // And a strip zoomed to the attempts draws each on its own.
      const blockedFlows = report.flows.filter((f) => f.verdict === "blocked").length;
      expect(titles.filter((t) => !t.includes("\n"))).toHaveLength(blockedFlows);
      expect(await page.locator("svg#chart-timeline").textContent()).toContain("zoomed to the attempts");
      // The README's screenshots: 1400 pixels, and 900 (a laptop beside a terminal).
      const name = width === 1400 ? "report-blocked-cases.png" : `report-blocked-cases-${width}.png`;
      if (shots) await page.screenshot({ path: join(shotsDir, name), fullPage: true });
      await page.close();
    }
  });

  it("prints to PDF", async () => {
    const { page } = await open("ocs-sample.pcap");
    const pdf = join(shots ? shotsDir : dir, "report-ocs-sample.pdf");
    await page.pdf({ path: pdf, format: "A4", printBackground: true });
    await page.close();
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(bytes.length).toBeGreaterThan(10_000);
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
    for (const f of [screen, printed]) expect(statSync(f).size).toBeGreaterThan(10_000);
  });
});
