#!/usr/bin/env node
// Check the layout of an HTML incident report in headless Chromium, through the DevTools protocol over a pipe
// (--remote-debugging-pipe: no port, no dependency; the page itself is not modified and keeps its CSP).
//
// Usage: node scripts/lib/report-layout.mjs REPORT.html [--expect-multi-day] [--screenshot OUT.png] [--pdf OUT.pdf]
//                                           [--sections DIR] [--chart OUT.png] [--json]
// Asserts, on screen (1280 px wide) and when printed (A4 landscape):
//   - nothing runs or loads: no script/img/iframe/object/link/form, no on* attribute, no request but the file itself;
//   - every link is in-page and resolves: each href="#x" has an element with id x; ids are unique;
//   - no timestamp, ARN, IP address or SHA-256 in a table cell wraps mid-value (each one's text range lies on one
//     line box); when printed, values marked `long` (hashes, anything over 64 characters) may wrap, and nothing may
//     stick out of the page;
//   - the chart: every dot has a <title>, lies inside the SVG's viewBox and its lane, the first dot included; each
//     lane is a layer that has dots; when the dots span several UTC days, the axis shows at least two dates
//     (--expect-multi-day also requires the case to span several days).
// Prints what it measured; exit 0 when every check holds, 1 when one fails, 2 on a usage or Chromium error.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const html = args.find((a, i) => !a.startsWith('--') && !['--screenshot', '--pdf', '--sections', '--chart'].includes(args[i - 1] ?? ''));
if (!html) {
  console.error('usage: node scripts/lib/report-layout.mjs REPORT.html [--expect-multi-day] [--screenshot OUT.png] [--pdf OUT.pdf] [--sections DIR] [--chart OUT.png] [--json]');
  process.exit(2);
}
/** In-page checks; `print` relaxes what may wrap (hashes) and adds the page-width check. */
function probe(print) {
  const fail = [];
  const facts = {};
  const active = document.querySelectorAll('script, iframe, frame, object, embed, img, link, base, form, video, audio, meta[http-equiv="refresh" i]');
  if (active.length > 0) fail.push(`active or external elements: ${[...active].map((e) => e.tagName.toLowerCase()).join(', ')}`);
  for (const el of document.querySelectorAll('*')) for (const a of el.attributes) if (/^on/i.test(a.name)) fail.push(`event handler attribute ${a.name} on <${el.tagName.toLowerCase()}>`);

  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) fail.push(`id "${id}" is used ${n} times`);
  const hrefs = [...document.querySelectorAll('[href]')].map((a) => a.getAttribute('href') ?? '');
  facts.links = hrefs.length;
  facts.anchors = ids.size;
  for (const h of hrefs) {
    if (!h.startsWith('#')) fail.push(`link leaves the report: ${h.slice(0, 80)}`);
    else if (!document.getElementById(decodeURIComponent(h.slice(1)))) fail.push(`dangling link ${h.slice(0, 80)}`);
  }

  // Values that must stay on one line: each match's text range must lie on one line box.
  const kinds = [
    ['timestamp', /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g],
    ['ARN', /arn:[a-z0-9-]+:[^\s,;|<>()[\]]+/g],
    ['IPv4', /(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g],
    ['IPv6', /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi],
    ...(print ? [] : [['SHA-256', /\b[0-9a-f]{64}\b/g]]),
  ];
  const counts = {};
  const wraps = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    // Printed, a value marked `long` may wrap (a table cannot scroll on paper).
    acceptNode: (n) => (n.parentElement?.closest('td') && !(print && n.parentElement?.closest('.long')) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent ?? '';
    for (const [kind, re] of kinds) {
      for (const m of text.matchAll(re)) {
        if (kind === 'IPv6' && !/[a-f]|::/i.test(m[0])) continue; // times like 02:13:05
        counts[kind] = (counts[kind] ?? 0) + 1;
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
        if (tops.size > 1) wraps.push(`${kind} ${m[0].slice(0, 70)} wraps over ${tops.size} lines`);
      }
    }
  }
  facts.values_checked = counts;
  fail.push(...wraps.slice(0, 20));
  if (wraps.length > 20) fail.push(`... ${wraps.length - 20} more values wrap`);

  const svg = document.querySelector('svg[aria-label="attack timeline by layer"]');
  if (svg) {
    const vb = svg.viewBox.baseVal;
    const lanes = [...svg.querySelectorAll('rect[class^="lane"]')];
    const labels = [...svg.querySelectorAll('text.lbl')].map((t) => t.textContent);
    const circles = [...svg.querySelectorAll('circle')];
    const sb = svg.getBoundingClientRect();
    facts.chart = {
      lanes: labels,
      points: circles.length,
      dates: [...svg.querySelectorAll('text.date')].map((t) => t.textContent),
      box: { x: sb.left + window.scrollX, y: sb.top + window.scrollY, width: sb.width, height: sb.height },
    };
    if (labels.length !== lanes.length) fail.push(`chart: ${lanes.length} lanes but ${labels.length} labels`);
    const box = svg.getBoundingClientRect();
    const perLane = lanes.map(() => 0);
    const days = new Set();
    let first = null;
    for (const c of circles) {
      const cx = c.cx.baseVal.value;
      const cy = c.cy.baseVal.value;
      const r = c.r.baseVal.value;
      const title = c.querySelector('title')?.textContent ?? '';
      if (title.trim() === '') fail.push(`chart: a point at x=${cx} has no <title>`);
      const day = /^\d{4}-\d{2}-\d{2}/.exec(title)?.[0];
      if (day) days.add(day);
      if (cx - r < vb.x || cx + r > vb.x + vb.width || cy - r < vb.y || cy + r > vb.y + vb.height) fail.push(`chart: point at x=${cx} lies outside the viewBox`);
      const lane = lanes.findIndex((l) => cy >= l.y.baseVal.value && cy <= l.y.baseVal.value + l.height.baseVal.value);
      if (lane < 0) fail.push(`chart: point at x=${cx} y=${cy} is in no lane`);
      else {
        perLane[lane]++;
        const l = lanes[lane];
        if (cx - r < l.x.baseVal.value || cx + r > l.x.baseVal.value + l.width.baseVal.value) fail.push(`chart: point at x=${cx} is clipped by its lane`);
      }
      const b = c.getBoundingClientRect();
      if (b.left < box.left - 0.5 || b.right > box.right + 0.5) fail.push(`chart: point at x=${cx} is drawn outside the chart`);
      if (!first || cx < first.cx) first = { cx, r, title };
    }
    if (first) facts.chart.first_point = first;
    perLane.forEach((n, i) => n === 0 && fail.push(`chart: lane ${labels[i]} has no points (lanes are for layers present)`));
    facts.chart.point_days = days.size;
    if (days.size > 1 && new Set(facts.chart.dates).size < 2) fail.push(`chart: points span ${days.size} days but the axis shows ${facts.chart.dates.length} date label(s)`);
  } else facts.chart = null;

  if (print) {
    const w = window.innerWidth;
    facts.page_width = w;
    facts.content_width = document.documentElement.scrollWidth;
    if (document.documentElement.scrollWidth > w + 1) fail.push(`printed: content is ${document.documentElement.scrollWidth}px wide on a ${w}px page (cut off)`);
    for (const t of document.querySelectorAll('table, svg')) {
      const b = t.getBoundingClientRect();
      if (b.right <= w + 1) continue;
      let hd = t.closest('div, main')?.previousElementSibling;
      while (hd && hd.tagName !== 'H2') hd = hd.previousElementSibling;
      fail.push(`printed: a ${t.tagName.toLowerCase()} under "${hd?.textContent ?? '?'}" ends at ${Math.round(b.right)}px, past the ${w}px page`);
    }
  }
  facts.sections = [...document.querySelectorAll('h2')].map((h) => {
    const b = h.getBoundingClientRect();
    return { title: h.textContent, top: Math.round(b.top + window.scrollY) };
  });
  facts.height = document.documentElement.scrollHeight;
  return { fail, facts };
}

/** A minimal DevTools-protocol client over Chromium's pipe (fd 3 in, fd 4 out, NUL-separated JSON). */
function connect(child) {
  const input = child.stdio[3];
  const output = child.stdio[4];
  let next = 1;
  const pending = new Map();
  const listeners = [];
  let buf = '';
  output.setEncoding('utf8');
  output.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id && pending.has(msg.id)) {
        const { ok, ko, method } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) ko(new Error(`${method}: ${msg.error.message}`));
        else ok(msg.result);
      } else for (const l of listeners) l(msg);
    }
  });
  return {
    send(method, params = {}, sessionId) {
      const id = next++;
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      return new Promise((ok, ko) => pending.set(id, { ok, ko, method }));
    },
    once(method, timeoutMs) {
      return new Promise((ok, ko) => {
        const timer = setTimeout(() => ko(new Error(`timed out waiting for ${method}`)), timeoutMs);
        listeners.push((m) => {
          if (m.method === method) {
            clearTimeout(timer);
            ok(m.params);
          }
        });
      });
    },
    on(fn) {
      listeners.push(fn);
    },
  };
}

async function main() {
  const exe = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!exe) {
    console.error('chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)');
    return 2;
  }
  const profile = mkdtempSync(join(tmpdir(), 'irctl-chromium-'));
  const child = spawn(
    exe,
    ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--hide-scrollbars', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const cdp = connect(child);
    const url = pathToFileURL(resolve(html)).href;
    const { targetInfos } = await cdp.send('Target.getTargets');
    let page = targetInfos.find((t) => t.type === 'page');
    const targetId = page ? page.targetId : (await cdp.send('Target.createTarget', { url: 'about:blank' })).targetId;
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
    const s = (method, params) => cdp.send(method, params, sessionId);
    const requests = [];
    cdp.on((m) => {
      if (m.sessionId === sessionId && m.method === 'Network.requestWillBeSent') requests.push(m.params.request.url);
    });
    await s('Network.enable');
    await s('Page.enable');
    await s('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
    const loaded = cdp.once('Page.loadEventFired', 60_000);
    await s('Page.navigate', { url });
    await loaded;
    const run = async (print) => {
      const r = await s('Runtime.evaluate', { expression: `(${probe.toString()})(${print})`, returnByValue: true });
      if (r.exceptionDetails) throw new Error(`probe failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value;
    };
    const screen = await run(false);
    const fail = [...screen.fail];
    const external = requests.filter((u) => u !== url);
    if (external.length > 0) fail.push(`the page requested ${external.length} resource(s): ${external.slice(0, 3).join(', ')}`);
    if (args.includes('--expect-multi-day') && !(screen.facts.chart?.point_days > 1)) fail.push('expected a chart spanning several days');

    const shot = async (clip) => Buffer.from((await s('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { ...clip, scale: 1 } })).data, 'base64');
    if (opt('--screenshot')) writeFileSync(opt('--screenshot'), await shot({ x: 0, y: 0, width: 1280, height: Math.min(screen.facts.height, 16000) }));
    if (opt('--chart') && screen.facts.chart) writeFileSync(opt('--chart'), await shot(screen.facts.chart.box));
    if (opt('--sections')) {
      const dir = opt('--sections');
      mkdirSync(dir, { recursive: true });
      const secs = screen.facts.sections;
      for (let i = 0; i < secs.length; i++) {
        const y = secs[i].top - 8;
        const end = i + 1 < secs.length ? secs[i + 1].top - 8 : screen.facts.height;
        writeFileSync(join(dir, `${String(i + 1).padStart(2, '0')}-${secs[i].title.toLowerCase().replace(/[^a-z]+/g, '-')}.png`), await shot({ x: 0, y, width: 1280, height: Math.min(Math.max(end - y, 40), 3000) }));
      }
    }

    // Printed: A4 landscape with 12 mm margins is 273 mm = 1032 CSS px wide.
    await s('Emulation.setEmulatedMedia', { media: 'print' });
    await s('Emulation.setDeviceMetricsOverride', { width: 1032, height: 700, deviceScaleFactor: 1, mobile: false });
    const printed = await run(true);
    fail.push(...printed.fail.map((f) => (f.startsWith('printed') ? f : `printed: ${f}`)));
    if (opt('--pdf')) {
      await s('Emulation.setEmulatedMedia', { media: '' });
      const { data } = await s('Page.printToPDF', { preferCSSPageSize: true, printBackground: true });
      writeFileSync(opt('--pdf'), Buffer.from(data, 'base64'));
    }
    await cdp.send('Browser.close').catch(() => {});
    const report = { ok: fail.length === 0, failures: fail, screen: { ...screen.facts, sections: undefined }, print: { page_width: printed.facts.page_width, content_width: printed.facts.content_width } };
    if (args.includes('--json')) console.log(JSON.stringify(report));
    else {
      const f = screen.facts;
      console.log(`links       ${f.links} in-page links, ${f.anchors} anchors`);
      console.log(`values      ${Object.entries(f.values_checked).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'} checked for wrapping`);
      if (f.chart) console.log(`chart       lanes ${f.chart.lanes.join(', ')}; ${f.chart.points} points over ${f.chart.point_days} day(s); date labels ${f.chart.dates.join(', ') || 'none'}; first point x=${f.chart.first_point?.cx}`);
      console.log(`printed     content ${printed.facts.content_width}px on a ${printed.facts.page_width}px page`);
      for (const x of fail) console.log(`FAIL        ${x}`);
    }
    return fail.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`chromium check failed: ${err instanceof Error ? err.message : String(err)}\n${stderr}`);
    return 2;
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill();
      await exited;
    }
    clearTimeout(killer);
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

process.exitCode = await main();
