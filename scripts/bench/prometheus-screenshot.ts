/**
 * A picture of the Grafana dashboard's queries over a real run, drawn by Prometheus's own graph
 * page (Grafana's image cannot be pulled here): each panel's first query, one graph each.
 *
 *   node --import tsx scripts/bench/prometheus-screenshot.ts --prometheus http://127.0.0.1:9090 \
 *     --minutes 15 --out docs/images/metrics-dashboard.png
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    prometheus: { type: 'string', default: 'http://127.0.0.1:9090' },
    minutes: { type: 'string', default: '15' },
    out: { type: 'string', default: path.join(repoRoot, 'docs/images/metrics-dashboard.png') },
    panels: { type: 'string', default: '0,2,3,4,5,7,8' },
  },
});
interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}
const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'deploy/monitoring/grafana/dashboards/video-detect.json'), 'utf8')) as Dashboard;
const chosen = args.panels.split(',').map(Number).map((i) => dashboard.panels[i]!);
const query = new URLSearchParams();
chosen.forEach((panel, i) => {
  query.set(`g${i}.expr`, panel.targets[0]!.expr);
  query.set(`g${i}.tab`, '0');
  query.set(`g${i}.range_input`, `${args.minutes}m`);
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(`${args.prometheus}/graph?${query.toString()}`);
  // The graphs draw once their range queries answer.
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(3000);
  await page.screenshot({ path: args.out, fullPage: true });
  console.log(`wrote ${args.out}: ${chosen.map((p) => p.title).join('; ')}`);
} finally {
  await browser.close();
}
