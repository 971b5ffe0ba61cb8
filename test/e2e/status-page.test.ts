// The status page end to end: the Worker under `wrangler dev` (workerd, local D1) against the HF
// emulator, ticks driven across 120 %, 150 % and 200 % through the local cron endpoint, and the page
// read in headless Chromium the way a person would: sign in, read the figures, look at the chart,
// wait for it to refresh, and look again on a phone. Screenshots: test-results/status-page/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.ts";
import { budgetDay, startOfDay } from "../../src/core/index.ts";
import { DEMO_FLEET, type Emulator, startEmulator } from "../../src/fakes/index.ts";
import type { PolicyInput } from "../../src/policy/index.ts";
import { launchChromium } from "./browser.ts";

const NS = "e2e";
const TOKEN = "e2e-read-token-5f0c2a7d9b";
const HOUR = 3_600_000;
const SHOTS = "test-results/status-page";
const auth = { authorization: `Bearer ${TOKEN}` };

/** A zone where it is mid-afternoon now, so the day's ticks fit before now and the chart has a forecast. */
function afternoonZone(now: number): string {
  const zones = ["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "America/Los_Angeles", "Pacific/Honolulu"];
  const sinceMidnight = (tz: string) => now - startOfDay(budgetDay(now, tz), tz);
  return zones.reduce((best, tz) => (Math.abs(sinceMidnight(tz) - 15 * HOUR) < Math.abs(sinceMidnight(best) - 15 * HOUR) ? tz : best));
}

interface Status {
  budget: { spend_usd: number; daily_usd: number; ratio: number; level_name: string; burn_usd_per_hour: number; timezone: string };
  endpoints: Array<{ id: string; state: string; replicas: { ready: number; target: number; max: number }; spend_today_usd: number }>;
  last_tick: { at: string; outcome: string };
  guard: { forecast: { end_of_day_usd: number } | null };
}

/** The number in a figure as shown: `$1,234.56` → 1234.56, `203.4 %` → 203.4. */
const shown = (text: string | null) => Number((text ?? "").replace(/[$,%\s]/g, ""));

/** Every text of the chart lies inside the chart's box: no label is cut off at an edge. */
async function clippedLabels(page: Page): Promise<string[]> {
  return page.locator("svg.chart").evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll("text")]
      .filter((t) => {
        const r = t.getBoundingClientRect();
        return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
      })
      .map((t) => t.textContent ?? "");
  });
}

/** Today's spend or 200 % of the budget, whichever is higher: what the money axis must reach. */
const status200 = (s: Status) => Math.max(s.budget.spend_usd, s.budget.daily_usd * 2);

describe("the status page in a real browser", () => {
  const now = Date.now();
  const tz = afternoonZone(now);
  const stateDir = mkdtempSync(path.join(tmpdir(), "guardrail-e2e-"));
  let emulator: Emulator;
  let dev: WranglerDev;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;

  const json = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${dev.base}${p}`, { headers: auth });
    expect(res.status, `${p} answered ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };

  // A setup failure (no Chromium, wrangler not starting) fails every test here, by name: a suite
  // that errors in beforeAll would only show its tests as skipped.
  let setupError: unknown = null;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      setupError = err;
    }
  });

  async function setUp() {
    mkdirSync(SHOTS, { recursive: true });
    // The browser first: when it is missing, fail before spending time on wrangler.
    browser = await launchChromium();
    emulator = await startEmulator({ port: 0 });
    emulator.reset(NS, { endpoints: DEMO_FLEET });
    const policy: PolicyInput = {
      mode: "enforce",
      budget: { daily_usd: 50, timezone: tz },
      hf: { namespaces: [NS] },
      endpoints: { [`${NS}/chat-prod`]: { critical: true } },
      // Issue 13: an interval longer than metering.gap_minutes cannot alone trip the pause. These ticks
      // are an hour apart (every minute in production): such an interval is not a gap here.
      metering: { gap_minutes: 1440 },
      // Two named budgets large enough never to act, so the fleet budget's day stays the one tested above.
      budgets: [
        { name: "platform", period: "month", amount_usd: 50_000, timezone: tz, scope: { namespaces: [NS] } },
        { name: "summaries", period: "day", amount_usd: 1_000, scope: { endpoints: [`${NS}/summarizer`], services: ["summarize"] } },
      ],
      services: {
        summarize: { primary: { target: `${NS}/summarizer` }, fallback: { target: `${NS}/summarizer-cpu` }, callers: ["SUMMARIZE_KEY"] },
      },
    };
    dev = await startWranglerDev({
      stateDir,
      logFile: path.join(SHOTS, "wrangler.log"),
      readyPath: "/login",
      vars: { HF_API_BASE: emulator.url, HF_TOKEN: emulator.token, GUARDRAIL_POLICY: JSON.stringify(policy), READ_TOKEN: TOKEN },
    });
    await dev.ready;
    // The demo fleet burns about $31.50/h against $50/day: 0 %, 63 %, 126 % (scale down, then about
    // $14.40/h), 155 % (reroute), 184 %, 213 % (shutdown): one tick an hour for the last five hours.
    // After each tick that acts, one a minute later sees the change, as the cron would: a change inside
    // an hour-long interval is too unsure for the pause to act on (docs/metering.md, the standard error).
    for (let h = 5; h >= 0; h--) {
      for (const at of h === 3 || h === 2 ? [0, 60_000] : [0]) {
        const outcome = await dev.tick(now - h * HOUR - 1000 + at);
        if (outcome !== "ok") throw new Error(`tick ${5 - h} answered ${outcome}; see ${SHOTS}/wrangler.log`);
      }
    }
  }

  afterAll(async () => {
    await browser?.close();
    dev?.stop();
    await emulator?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("signs in with the read token and shows the figures /v1/status reports", async () => {
    ready();
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await desktop.newPage();
    await page.goto(`${dev.base}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill("#token", TOKEN);
    await Promise.all([page.waitForURL(`${dev.base}/`), page.click("button[type=submit]")]);
    const cookie = (await desktop.cookies()).find((c) => c.name === "guardrail_read");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict" });

    const status = await json<Status>("/v1/status");
    expect(status.budget.level_name).toBe("shutdown");
    expect(await page.textContent('[data-figure="level"]')).toBe("shutdown");
    expect(shown(await page.textContent('[data-figure="ratio"]'))).toBeCloseTo(status.budget.ratio * 100, 1);
    expect(shown(await page.textContent('[data-figure="spend"]'))).toBeCloseTo(status.budget.spend_usd, 2);
    expect(shown(await page.textContent('[data-figure="budget"]'))).toBe(status.budget.daily_usd);
    expect(shown(await page.textContent('[data-figure="burn"]'))).toBeCloseTo(status.budget.burn_usd_per_hour, 2);
    // The forecast too, to the cent, though the page and the API were read at different moments.
    expect(shown(await page.textContent('[data-figure="forecast"]'))).toBe(
      Math.round((status.guard.forecast?.end_of_day_usd ?? Number.NaN) * 100) / 100,
    );
    expect(await page.textContent('[data-figure="last-tick"]')).toContain(
      new Intl.DateTimeFormat("en-GB", { timeZone: tz, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(
        new Date(status.last_tick.at),
      ),
    );
    expect(await page.locator('[data-flag="enforce"]').isVisible()).toBe(true);
    for (const e of status.endpoints) {
      const row = page.locator(`tr[data-endpoint="${e.id}"]`);
      expect(await row.locator('[data-col="state"]').textContent()).toBe(e.state);
      expect(await row.locator('[data-col="replicas"]').textContent()).toBe(
        `${e.replicas.ready} / ${e.replicas.target} / ${e.replicas.max}`,
      );
      // Shown to the cent: within half a cent of the API's figure (an exact half cent rounds either way).
      expect(Math.abs(shown(await row.locator('[data-col="spend"]').textContent()) - e.spend_today_usd)).toBeLessThanOrEqual(0.0051);
    }
    expect(await page.locator('tr[data-endpoint="e2e/batch-llm"] [data-col="last-action"]').textContent()).toContain("pause (applied)");
    expect(await page.locator('[data-event][data-type="action"]').count()).toBeGreaterThan(0);
  });

  it("shows each event at its time in the budget's zone, and no recovery for a forecast that came true", async () => {
    ready();
    const { events } = await json<{ events: Array<{ id: number; at: number; kind: string; title: string }> }>("/v1/events?limit=100");
    const clock = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hourCycle: "h23", hour: "2-digit", minute: "2-digit" });
    for (const e of events.slice(0, 15)) {
      expect((await page.locator(`[data-event="${e.id}"] span`).first().textContent())?.trim()).toBe(clock.format(new Date(e.at)));
    }
    // The forecast warned of 200 % before the tick that crossed it; crossing it is no good news.
    expect(events.some((e) => e.kind === "forecast" && e.title.startsWith("Forecast: 200%"))).toBe(true);
    expect(events.filter((e) => e.title.startsWith("Resolved: Forecast")).map((e) => e.title)).toEqual([]);
  });

  it("draws the budget and the 120 / 150 / 200 % lines and a marker wherever the guardrail acted", async () => {
    ready();
    const lines = page.locator("svg.chart [data-threshold]");
    expect(await lines.evaluateAll((ls) => ls.map((l) => l.getAttribute("data-ratio")))).toEqual(["1", "1.2", "1.5", "2"]);
    // Drawn where they should be: each higher ratio higher on the screen.
    const ys = await Promise.all([0, 1, 2, 3].map(async (i) => (await lines.nth(i).locator("line").boundingBox())?.y ?? Number.NaN));
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    expect(new Set(ys).size).toBe(4);

    const { events } = await json<{ events: Array<{ at: number; kind: string }> }>("/v1/events?type=action&limit=100");
    const times = [...new Set(events.map((e) => e.at))].sort();
    const markers = page.locator("svg.chart [data-marker]");
    expect(await markers.evaluateAll((ms) => ms.map((m) => Number(m.getAttribute("data-marker"))))).toEqual(times);
    expect(await markers.evaluateAll((ms) => ms.map((m) => m.getAttribute("data-kinds")))).toEqual(["scale_down", "reroute", "pause"]);
    const chart = await page.locator("svg.chart").boundingBox();
    for (const box of await markers.evaluateAll((ms) =>
      ms.map((m) => m.getBoundingClientRect().toJSON() as { x: number; width: number }),
    )) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(chart?.x ?? 0);
    }
    // One point per tick: six hourly ticks and the two a minute after the acting ones.
    expect(await page.locator("svg.chart polyline.spend").getAttribute("points")).toMatch(/^(\S+ ){7}\S+$/);
    const forecastUsd = Number(await page.locator("svg.chart line.forecast").getAttribute("data-forecast-usd"));
    expect(forecastUsd).toBeGreaterThan(0);
    expect(forecastUsd).toBeCloseTo(shown(await page.textContent('[data-figure="forecast"]')), 2);
    // The axis holds the day's spend and the ladder; a forecast above it is clipped, with its figure.
    const top = Math.max(...(await page.locator("svg.chart text.axis[text-anchor=end]").allTextContents()).map(shown));
    expect(top).toBeGreaterThanOrEqual(Math.max(status200(await json<Status>("/v1/status")), 0));
    if (forecastUsd > top) {
      expect(await page.locator("svg.chart line.forecast").getAttribute("data-clipped")).toBe("true");
      expect(await page.locator("svg.chart .forecast-label").textContent()).toContain(
        (await page.textContent('[data-figure="forecast"]')) ?? "?",
      );
    }
    for (const label of await page.locator("svg.chart text.axis[text-anchor=end]").allTextContents()) expect(label).toMatch(/^\$/);
    expect(await clippedLabels(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, "desktop.png"), fullPage: true });
  });

  it("shows a card per budget with the figures of /v1/status's budgets list", async () => {
    ready();
    await page.goto(`${dev.base}/`);
    type Budget = {
      name: string;
      spend_usd: number;
      amount_usd: number;
      ratio: number;
      level_name: string;
      forecast: { end_usd: number } | null;
    };
    const { budgets } = await json<{ budgets: Budget[] }>("/v1/status");
    expect(budgets.map((b) => b.name)).toEqual(["fleet", "platform", "summaries"]);
    for (const b of budgets) {
      const card = page.locator(`[data-budget="${b.name}"]`);
      expect(await card.isVisible()).toBe(true);
      expect(shown(await card.locator('[data-figure="budget-spend"]').textContent())).toBeCloseTo(b.spend_usd, 2);
      expect(shown(await card.locator('[data-figure="budget-amount"]').textContent())).toBe(b.amount_usd);
      expect(shown(await card.locator('[data-figure="budget-ratio"]').textContent())).toBeCloseTo(b.ratio * 100, 1);
      expect(await card.locator('[data-figure="budget-level"]').textContent()).toBe(b.level_name.replaceAll("_", " "));
      const bar = await card.locator("svg.bar").boundingBox();
      expect(bar?.width).toBeGreaterThan(100);
    }
    await page.locator('[data-section="budgets"]').screenshot({ path: path.join(SHOTS, "budgets.png") });
  });

  it("refreshes its figures without a full reload", async () => {
    ready();
    await page.goto(`${dev.base}/?refresh=2`);
    // Survives only if the document is never reloaded.
    await page.evaluate("window.sameDocument = true");
    const before = await page.textContent('[data-figure="spend"]');
    expect(await dev.tick(Date.now())).toBe("ok");
    const status = await json<Status>("/v1/status");
    const deadline = Date.now() + 15_000;
    while ((await page.textContent('[data-figure="spend"]')) === before && Date.now() < deadline) await page.waitForTimeout(250);
    expect(shown(await page.textContent('[data-figure="spend"]'))).toBeCloseTo(status.budget.spend_usd, 2);
    expect(await page.evaluate("window.sameDocument")).toBe(true);
  });

  it("fits a phone screen", async () => {
    ready();
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    });
    const p = await phone.newPage();
    await p.goto(`${dev.base}/`);
    expect(await p.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    const chart = await p.locator("svg.chart").boundingBox();
    expect(chart?.width).toBeGreaterThan(300);
    expect(chart?.width).toBeLessThanOrEqual(390);
    expect(await p.locator('[data-figure="level"]').isVisible()).toBe(true);
    // The endpoints table becomes one card per endpoint: no header row, each cell labelled.
    expect(await p.locator("table.endpoints thead").isVisible()).toBe(false);
    expect(await p.locator('tr[data-endpoint="e2e/chat-prod"] [data-col="replicas"]').isVisible()).toBe(true);
    expect(await clippedLabels(p)).toEqual([]);
    expect(await p.locator('[data-budget="platform"]').isVisible()).toBe(true);
    await p.screenshot({ path: path.join(SHOTS, "phone.png"), fullPage: true });
    await phone.close();
  });
});
