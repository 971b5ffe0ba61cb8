// The status page's stylesheet: system fonts, light and dark schemes, a table that becomes cards
// on a phone, and the chart's colours (the ladder's levels: amber, orange, red).
export const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6570;--bg:#f6f7f9;--card:#fff;--line:#d9dde3;
--ok:#1a7f37;--l1:#b7791f;--l2:#d9480f;--l3:#c92a2a;--spend:#1c64f2;--over:rgba(201,42,42,.05)}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa4ae;--bg:#101316;--card:#181c20;--line:#2c333a;
--spend:#5b9bff;--over:rgba(255,90,90,.07)}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:12px}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:4px 12px}
h1{font-size:17px;margin:4px 0}h2{font-size:15px;margin:0 0 8px}
.muted{color:var(--muted)}.small{font-size:13px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px;margin:12px 0}
.overview{display:grid;gap:12px;margin:12px 0}.overview section{margin:0}
@media (min-width:960px){.overview{grid-template-columns:minmax(320px,2fr) 3fr}}
.headline{display:flex;flex-wrap:wrap;gap:8px 28px;margin-bottom:12px}
.big{font-size:clamp(30px,8vw,44px);font-weight:700;line-height:1.1;letter-spacing:-.5px;white-space:nowrap}
.level-normal{color:var(--ok)}.level-scale_down{color:var(--l1)}.level-reroute{color:var(--l2)}.level-shutdown{color:var(--l3)}
.figures{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px 16px;margin:0}
.figures dt{font-size:13px;color:var(--muted)}.figures dd{margin:0;font-size:19px;font-weight:600}
.flags{display:flex;flex-wrap:wrap;align-items:flex-start;gap:6px;margin-top:12px}
.flag{border-radius:999px;padding:2px 10px;font-size:13px;font-weight:600;border:1px solid currentColor}
.flag.warn{color:var(--l1)}.flag.bad{color:var(--l3)}.flag.ok{color:var(--ok)}
.chart{width:100%;height:auto;display:block}
.chart .axis{font-size:14px;fill:var(--muted)}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .over{fill:var(--over)}
.chart .threshold{stroke-width:1.5;stroke-dasharray:6 4}
.chart .threshold.budget{stroke:var(--fg);stroke-dasharray:none}
.chart .scale_down{stroke:var(--l1);fill:var(--l1)}.chart .reroute{stroke:var(--l2);fill:var(--l2)}
.chart .shutdown{stroke:var(--l3);fill:var(--l3)}.chart .pause{stroke:var(--l3);fill:var(--l3)}
.chart .threshold-label{font-size:14px;stroke:none}.chart .threshold-label.budget{fill:var(--fg)}
.chart .spend{fill:none;stroke:var(--spend);stroke-width:3;stroke-linejoin:round}
.chart .spend-dot{fill:var(--spend)}
.chart .forecast{stroke:var(--spend);stroke-width:2;stroke-dasharray:3 5;opacity:.8}
.chart .forecast-arrow{fill:var(--spend)}.chart .forecast-label{font-size:14px;fill:var(--spend)}
.chart .now{stroke:var(--muted);stroke-width:1;stroke-dasharray:2 3}
.chart .marker-stem{stroke:var(--muted);stroke-width:1;stroke-dasharray:1 3}
.chart .marker-head{stroke:var(--card);stroke-width:1.5}
.chart .empty{font-size:15px;fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;color:var(--muted);margin-top:6px}
.legend i{display:inline-block;width:18px;height:0;border-top:3px solid var(--spend);vertical-align:middle;margin-right:4px}
.legend i.f{border-top-style:dotted}.legend i.m{width:10px;height:10px;border:0;background:var(--l2);transform:rotate(45deg)}
.budgets{display:grid;gap:10px;grid-template-columns:repeat(auto-fill,minmax(260px,1fr))}
.budget{border:1px solid var(--line);border-radius:8px;padding:10px}
.budget-head{display:flex;align-items:baseline;gap:6px;flex-wrap:wrap}.budget-level{margin-left:auto;font-weight:700;font-size:13px}
.budget-line{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap;margin:4px 0}
.budget-ratio{font-size:24px;font-weight:700}
.bar{width:100%;height:10px;display:block;margin:4px 0 8px}
.bar .bar-bg{fill:var(--line)}.bar .bar-fill{fill:var(--ok)}
.bar .bar-fill.level-scale_down{fill:var(--l1)}.bar .bar-fill.level-reroute{fill:var(--l2)}.bar .bar-fill.level-shutdown{fill:var(--l3)}
.bar .bar-tick{stroke-width:1.5;vector-effect:non-scaling-stroke}.bar .bar-tick.budget{stroke:var(--fg)}
.bar .scale_down{stroke:var(--l1)}.bar .reroute{stroke:var(--l2)}.bar .shutdown{stroke:var(--l3)}
.budget-figures{display:grid;gap:6px;margin:0}.budget-figures dt{color:var(--muted)}.budget-figures dd{margin:0;font-weight:600}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.events{list-style:none;margin:0;padding:0}
.events li{padding:8px 0;border-bottom:1px solid var(--line)}
.events li:last-child{border-bottom:0}
.sev{font-size:12px;font-weight:700;text-transform:uppercase;margin-right:6px}
.sev-critical{color:var(--l3)}.sev-warning{color:var(--l1)}.sev-info,.sev-action{color:var(--spend)}
.problems li{color:var(--l3)}
form.login{max-width:360px;margin:15vh auto 0}
form.login input{width:100%;font:inherit;padding:10px;border:1px solid var(--line);border-radius:8px;background:var(--card);color:var(--fg)}
button{font:inherit;padding:10px 16px;border-radius:8px;border:0;background:var(--spend);color:#fff;margin-top:10px;cursor:pointer}
button.link{background:none;color:var(--muted);padding:0;margin:0;text-decoration:underline}
@media (max-width:640px){
table.endpoints thead{display:none}
table.endpoints,table.endpoints tbody,table.endpoints tr,table.endpoints td{display:block;width:100%}
table.endpoints tr{border-bottom:1px solid var(--line);padding:6px 0}
table.endpoints td{border:0;padding:2px 0;display:flex;justify-content:space-between;gap:12px}
table.endpoints td::before{content:attr(data-label);color:var(--muted);font-size:12px}
table.endpoints td.name{font-weight:600}table.endpoints td.name::before{content:none}
}
`;
