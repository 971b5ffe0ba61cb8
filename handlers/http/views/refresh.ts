// The page's only script: every few seconds it fetches the <main> fragment (same cookie) and swaps
// it in, so the page stays current without a full reload; a 401 sends the reader to /login, which
// brings them back to this page (its path and query) once signed in.
export function refreshScript(seconds: number): string {
  return `(() => {
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch("/?part=main", { credentials: "same-origin", cache: "no-store" });
      if (res.status === 401) { location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search)); return; }
      if (!res.ok) throw new Error(String(res.status));
      const main = document.querySelector("main");
      if (main) main.outerHTML = await res.text();
    } catch {
      document.querySelector("main")?.setAttribute("data-stale", "true");
    } finally {
      busy = false;
    }
  }
  setInterval(refresh, ${Math.round(seconds * 1000)});
  document.addEventListener("visibilitychange", refresh);
})();`;
}
