// The page's stylesheet, inlined (no build step, no CDN: the page works
// offline). States carry an icon and a word as well as a colour, and failed
// runs in the history bar are hatched and short, so nothing rests on colour
// alone. Under 760px the tables become one card per row.
export const PAGE_STYLE = `
:root{--ok:#1b7a34;--warn:#9a5b00;--bad:#b3261e;--idle:#6b6b6b;--line:#d9d9d9;--bg:#fff;--fg:#1d1d1d;--soft:#f4f4f4}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg);line-height:1.4}
header,main{max-width:1400px;margin:0 auto;padding:0 1.2rem}
h1{font-size:1.3rem;margin:1rem 0 .5rem}
h1 small{font-weight:normal;color:var(--idle);font-size:.8rem}
h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
a{color:#0b57d0}
code{font-size:.9em;overflow-wrap:anywhere}
.verdict{border:2px solid var(--line);border-left-width:8px;border-radius:6px;padding:.6rem 1rem;margin:.5rem 0}
.verdict.pass{border-color:var(--ok)}
.verdict.fail{border-color:var(--bad)}
.verdict .headline{font-size:1.15rem;margin:.2rem 0}
.verdict .failures{color:var(--bad);margin:.3rem 0;padding-left:1.2rem}
.meta{color:#444;font-size:.9rem;margin:.3rem 0}
nav{font-size:.9rem;margin:.3rem 0 1rem}
table{border-collapse:collapse;width:100%}
table.services{table-layout:fixed}
table.services col.c-name{width:17%}table.services col.c-state{width:9rem}table.services col.c-since{width:15rem}table.services col.c-lat{width:5.5rem}table.services col.c-hist{width:13rem}table.services col.c-up{width:5rem}
.target{overflow-wrap:anywhere}
th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#555;background:var(--soft)}
td.why{overflow-wrap:anywhere}
.desc,.target{display:block;color:#555;font-size:.85em}
.crit{display:inline-block;font-size:.7rem;font-weight:bold;border:1px solid var(--bad);color:var(--bad);border-radius:3px;padding:0 .3em;margin-left:.3em;vertical-align:middle}
.badge{font-weight:bold;white-space:nowrap}
.badge.ready{color:var(--ok)}
.badge.not_ready{color:var(--warn)}
.badge.down{color:var(--bad)}
.badge.pending{color:var(--idle)}
tr.state-down{background:#fdf1f0}
tr.state-not_ready{background:#fff8ec}
.since{font-size:.9em}
.since time{white-space:nowrap}
.hist{display:flex;align-items:flex-end;gap:1px;height:1.3rem;overflow:hidden}
.hist i{flex:1 1 0;max-width:6px;min-width:0;height:100%;background:var(--ok)}
.hist i.not_ready{background:var(--warn);height:75%}
.hist i.fail{background:repeating-linear-gradient(45deg,var(--bad) 0 2px,#f6c9c5 2px 4px);height:45%}
.hist i.pending{background:var(--idle);height:20%}
.hist-empty{color:var(--idle);font-size:.85em}
.num{white-space:nowrap;font-variant-numeric:tabular-nums}
ul.plain{padding-left:1.2rem}
.stale{color:var(--warn);font-weight:bold}
@media (max-width:760px){
  header,main{padding:0 .7rem}
  table.services thead,table.grid thead{display:none}
  table.services,table.services tbody,table.services tr,table.services td,table.grid,table.grid tbody,table.grid tr,table.grid td{display:block;width:100%}
  table.services tr,table.grid tr{border:1px solid var(--line);border-radius:6px;margin:.6rem 0;padding:.3rem 0}
  table.services td,table.grid td{border:0;padding:.2rem .7rem;max-width:none}
  td[data-label]::before{content:attr(data-label) ": ";color:#555;font-size:.8rem;text-transform:uppercase}
  table.services td.name{font-size:1.05rem}
  table.services colgroup{display:none}
  .hist{display:inline-flex;width:65%;vertical-align:middle}
}
`
