// GET / (the status page), GET|POST /login and POST /logout. The page is rendered here from
// loadStatus (the same reading as GET /v1/status) plus the day's spend series and latest events.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import * as z from "zod";
import { budgetDayBounds, usdToMicro } from "../../src/core/index.ts";
import { listEvents, spendSeries } from "../../src/store/index.ts";
import type { AppEnv } from "./app.ts";
import { isReadToken, READ_COOKIE, requireReader, statusIsPublic } from "./auth.ts";
import { invalidInput } from "./errors.ts";
import { loadStatus } from "./status.ts";
import { Layout } from "./views/layout.tsx";
import { LoginForm } from "./views/login-page.tsx";
import { refreshScript } from "./views/refresh.ts";
import { StatusMain, type StatusPageData } from "./views/status-page.tsx";

const EVENTS_SHOWN = 15;
const COOKIE_DAYS = 7;

const pageQuery = z
  .object({
    /** `main`: only the <main> fragment, for the refresh script */
    part: z.literal("main").optional(),
    /** seconds between refreshes */
    refresh: z.coerce.number().int().min(2).max(3600).default(30),
  })
  .strict();

const loginBody = z.object({ token: z.string().min(1, "paste the read token").max(1024) });

/**
 * Where to go after signing in: the path and query of a page on this origin, else "/". Anything that
 * could leave the origin (an absolute URL, `//host`, a backslash or control character a browser
 * would read as one) falls back to "/", so the login form is never an open redirect.
 */
export function returnPath(raw: string | undefined, origin: string): string {
  if (!raw || raw.length > 2048 || !raw.startsWith("/") || raw.startsWith("//")) return "/";
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return "/";
  }
  const path = `${url.pathname}${url.search}`;
  return url.origin === origin && !path.startsWith("//") ? path : "/";
}

/** The login form's address that comes back to `path` (a page's path and query) once signed in. */
const loginFor = (path: string): string => (path === "/" ? "/login" : `/login?next=${encodeURIComponent(path)}`);

/** Headers of every HTML answer: never cached (it shows live figures), scripts only with the nonce. */
function htmlHeaders(c: Context, nonce: string) {
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; ` +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
}

/** A browser without a valid token is sent to the login form; the refresh script gets the 401 itself. */
const loginWhenRefused: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.res.status === 401 && c.req.query("part") === undefined) {
    const url = new URL(c.req.url);
    c.res = c.redirect(loginFor(`${url.pathname}${url.search}`));
  }
};

async function pageData(c: Context<AppEnv>): Promise<StatusPageData> {
  const now = c.get("clock")();
  const db = c.env.DB;
  const status = await loadStatus(c.env, c.var.runtime.config, now);
  const budget = "budget" in status.json ? status.json.budget : null;
  const bounds = budget && budgetDayBounds(now, budget.timezone);
  const [series, events] = await Promise.all([
    bounds ? spendSeries(db, bounds.day, bounds.start) : Promise.resolve([]),
    listEvents(db, { limit: EVENTS_SHOWN }),
  ]);
  // The end-of-day forecast is /v1/status's own figure, so the two never disagree.
  const forecast = "guard" in status.json ? status.json.guard.forecast : null;
  return {
    status,
    series,
    events,
    now,
    signedIn: !statusIsPublic(c.var.runtime.config),
    day:
      bounds && budget
        ? {
            start: bounds.start,
            end: bounds.end,
            forecastMicro: forecast && series.length > 0 ? usdToMicro(forecast.end_of_day_usd) : null,
          }
        : null,
  };
}

export const pageRoutes = new Hono<AppEnv>()
  .get("/", loginWhenRefused, requireReader, async (c) => {
    const parsed = pageQuery.safeParse(c.req.query());
    if (!parsed.success) return invalidInput(c, parsed.error);
    const data = await pageData(c);
    const nonce = crypto.randomUUID();
    htmlHeaders(c, nonce);
    if (parsed.data.part === "main") return c.html(<StatusMain {...data} />);
    return c.html(
      <Layout title="budget-guardrail status" nonce={nonce} script={refreshScript(parsed.data.refresh)}>
        <StatusMain {...data} />
      </Layout>,
    );
  })
  .get("/login", (c) => {
    const next = returnPath(c.req.query("next"), new URL(c.req.url).origin);
    if (statusIsPublic(c.var.runtime.config)) return c.redirect(next);
    const nonce = crypto.randomUUID();
    htmlHeaders(c, nonce);
    return c.html(
      <Layout title="budget-guardrail: sign in" nonce={nonce}>
        <LoginForm error={null} unconfigured={!c.env.READ_TOKEN} next={next} />
      </Layout>,
    );
  })
  .post("/login", csrf(), bodyLimit({ maxSize: 4096 }), async (c) => {
    const body = await c.req.parseBody();
    const parsed = loginBody.safeParse(body);
    const next = returnPath(typeof body.next === "string" ? body.next : undefined, new URL(c.req.url).origin);
    const ok = parsed.success && (await isReadToken(c.env, parsed.data.token));
    if (parsed.success && ok) {
      setCookie(c, READ_COOKIE, parsed.data.token, {
        httpOnly: true,
        secure: true,
        sameSite: "Strict",
        path: "/",
        maxAge: COOKIE_DAYS * 86_400,
      });
      return c.redirect(next, 303);
    }
    const nonce = crypto.randomUUID();
    htmlHeaders(c, nonce);
    const error = parsed.success ? "That is not the read token." : (parsed.error.issues[0]?.message ?? "paste the read token");
    return c.html(
      <Layout title="budget-guardrail: sign in" nonce={nonce}>
        <LoginForm error={error} unconfigured={!c.env.READ_TOKEN} next={next} />
      </Layout>,
      parsed.success ? 401 : 400,
    );
  })
  .post("/logout", csrf(), (c) => {
    deleteCookie(c, READ_COOKIE, { path: "/", secure: true });
    return c.redirect("/login", 303);
  });
