import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, ServiceMetrics } from '@video-detect/shared';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/test-env.js';

interface Dashboard {
  uid: string;
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

/** Every series name the services expose (histograms with their _bucket, _sum and _count). */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const service of ['api', 'processor', 'detector'] as const) {
    const metrics = new ServiceMetrics(service);
    metrics.detectorMetrics();
    metrics.httpHistogram();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    }
  }
  names.add('video_detect_queue_jobs');
  return names;
}

describe('monitoring config', () => {
  it('the Grafana dashboard queries only series the services expose', async () => {
    const names = await exposedNames();
    const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'deploy/monitoring/grafana/dashboards/video-detect.json'), 'utf8')) as Dashboard;
    assert.ok(dashboard.panels.length >= 9);
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, panel.title);
      for (const { expr } of panel.targets) {
        const used = expr.match(/\b(?:video_detect|nodejs|process)_[a-z0-9_]+/g) ?? [];
        assert.ok(used.length > 0, `${panel.title}: ${expr}`);
        for (const name of used) assert.ok(names.has(name), `${panel.title}: ${name} is not exposed`);
      }
    }
  });

  it('no series uses a label Prometheus sets itself (job, instance)', async () => {
    const metrics = new ServiceMetrics('detector');
    metrics.detectorMetrics();
    metrics.httpHistogram();
    metrics.jobSeconds.observe({ queue: 'q', job_name: 'j', outcome: 'completed' }, 1);
    metrics.jobFailures.inc({ queue: 'q', job_name: 'j', code: 'c', final: 'true' });
    const clashes = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.flatMap((v) => Object.keys(v.labels).filter((l) => l === 'job' || l === 'instance').map((l) => `${m.name}{${l}}`)),
    );
    assert.deepEqual(clashes, []);
  });

  it('Prometheus scrapes every service on the port it listens on', () => {
    const config = parse(readFileSync(path.join(repoRoot, 'deploy/monitoring/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
    };
    const ports = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.dns_sd_configs[0]?.port]));
    const { api, metrics } = loadConfig({});
    assert.deepEqual(ports, { api: api.port, processor: metrics.workerPort, detector: metrics.workerPort });
  });
});
