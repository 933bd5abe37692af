/** The console's HTML shell and stylesheet (the browser code is in ui/). */

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Recording archive console</title>
<link rel="stylesheet" href="console.css">
<script type="module" src="app.js"></script>
</head>
<body>
<header><a href="#/" class="brand">Recording archive</a><span id="who"></span></header>
<main id="main"><p>Loading…</p></main>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; padding: 0.6rem 1.2rem;
  background: #0f3d6e; color: #fff; }
header a.brand { color: #fff; font-weight: 600; text-decoration: none; }
main { padding: 1rem 1.2rem; }
h1 { font-size: 1.3rem; margin: 0.2rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 0.5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: 0.8rem; gap: 0.2rem; }
input, select, button { font: inherit; padding: 0.25rem 0.4rem; }
button { cursor: pointer; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: left; font-size: 0.9rem; }
th { background: #eef2f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, monospace; font-size: 0.8rem; word-break: break-all; }
.status { padding: 0.05rem 0.45rem; border-radius: 0.6rem; font-size: 0.8rem; }
.status-complete, .status-archived { background: #d8f0dc; color: #14532d; }
.status-pending { background: #fff3c4; color: #6b4e00; }
.status-failed, .status-expired { background: #fbd5d5; color: #7f1d1d; }
.deadline-soon { color: #b91c1c; font-weight: 600; }
.error { color: #b91c1c; background: #fdecec; padding: 0.5rem; border-radius: 0.3rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; font-size: 0.9rem; }
.timeline { display: flex; height: 2.2rem; border: 1px solid #999; background: #fff; margin: 0.3rem 0; }
.timeline .chunk { position: relative; border-right: 1px solid #fff; display: flex; align-items: center;
  justify-content: center; font-size: 0.75rem; min-width: 1.5rem; cursor: pointer; }
.timeline .chunk.status-archived { background: #4caf50; color: #fff; }
.timeline .chunk.status-pending { background: #f2c94c; }
.timeline .chunk.status-failed, .timeline .chunk.status-expired { background: #e05252; color: #fff; }
.timeline .chunk.playing { outline: 3px solid #0f3d6e; z-index: 1; }
.timeline .pause { position: absolute; top: 0; bottom: 0; background: repeating-linear-gradient(45deg, #0006, #0006 3px,
  transparent 3px, transparent 6px); }
.player { margin: 0.5rem 0; }
.player video { max-width: 480px; display: block; }
.player audio { width: 480px; display: block; }
.actions { display: flex; gap: 0.6rem; flex-wrap: wrap; margin: 0.8rem 0; }
progress { width: 12rem; }
.muted { color: #666; font-size: 0.85rem; }
`;
