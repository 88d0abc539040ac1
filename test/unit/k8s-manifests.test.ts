import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { EXECUTION_PROVIDERS, envSchema, loadConfig, QueueName } from '@video-detect/shared';
import { containersOf, kustomizeBuild, type K8sObject } from '../helpers/kustomize.js';
import { repoRoot } from '../helpers/test-env.js';

const overlays = ['cpu', 'gpu'] as const;
const k8sDir = path.join(repoRoot, 'deploy/k8s');
const built = new Map<string, K8sObject[]>();
/** The overlay's objects (built once; callers must not change them). */
const build = (overlay: string) => built.get(overlay) ?? built.set(overlay, kustomizeBuild(path.join(k8sDir, 'overlays', overlay))).get(overlay)!;

/** Schema validation (types, required fields, enums) with the typed models from npm. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/**
 * Every field name the Kubernetes and KEDA schemas know, read from the models' generated
 * validators: they accept unknown fields, so a misspelt one (`readinesProbe`) is caught here.
 */
function knownFieldNames(): Set<string> {
  const require = createRequire(import.meta.url);
  const names = new Set<string>();
  for (const pkg of ['kubernetes-models', '@kubernetes-models/keda', '@kubernetes-models/apimachinery']) {
    const dir = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), '_schemas');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      for (const m of source.matchAll(/data\.([A-Za-z_$][A-Za-z0-9_$]*)|data\["([^"]+)"\]/g)) names.add(m[1] ?? m[2]!);
    }
  }
  return names;
}

/** Maps whose keys are free (labels, resource names, env-like data): their keys are not field names. */
const freeMaps = new Set(['labels', 'annotations', 'data', 'matchLabels', 'nodeSelector', 'requests', 'limits']);
/** A Service's `selector` is a label map (a Deployment's is an object with `matchLabels`). */
const isFreeMap = (key: string, at: string) => freeMaps.has(key) || (key === 'selector' && at.startsWith('Service/')) || (key === 'metadata' && at.includes('/triggers/'));

function unknownFields(value: unknown, known: Set<string>, at: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFields(v, known, `${at}/${i}`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const own = known.has(key) ? [] : [`${at}/${key}`];
    // A trigger's `metadata` is the scaler's free-form settings.
    return isFreeMap(key, at) ? own : [...own, ...unknownFields(child, known, `${at}/${key}`)];
  });
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name}`);
  return found;
}

type Container = ReturnType<typeof containersOf>[number] & {
  env?: Array<{ name: string; value?: string }>;
  readinessProbe?: { httpGet?: { path: string }; exec?: { command: string[] } };
  livenessProbe?: { httpGet?: { path: string }; exec?: { command: string[] } };
  startupProbe?: { exec?: { command: string[] } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  ports?: Array<{ containerPort: number }>;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  args?: string[];
};
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: { terminationGracePeriodSeconds?: number; nodeSelector?: Record<string, string> } } }).template.spec;
const container = (o: K8sObject) => containersOf(o)[0] as Container;

describe('Kubernetes manifests (deploy/k8s)', () => {
  const known = knownFieldNames();
  const shutdownMs = Number(find(build('cpu'), 'ConfigMap', 'video-detect-config').data && (find(build('cpu'), 'ConfigMap', 'video-detect-config').data as Record<string, string>).SHUTDOWN_TIMEOUT_MS);

  for (const overlay of overlays) {
    it(`${overlay}: every object is valid for its schema and names only known fields`, () => {
      const objects = build(overlay);
      assert.ok(objects.length >= 10);
      for (const object of objects) {
        const Model = models[`${object.apiVersion}/${object.kind}`];
        assert.ok(Model, `no model for ${object.apiVersion} ${object.kind}`);
        assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`);
        assert.deepEqual(unknownFields(object, known, `${object.kind}/${object.metadata.name}`), [], 'unknown (misspelt?) fields');
        assert.equal(object.metadata.namespace, 'video-detect');
      }
    });
  }

  it('the builder agrees with kubectl kustomize (where kubectl is installed)', (t) => {
    if (spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0) {
      t.diagnostic('kubectl not installed: the built-in builder alone was checked');
      return;
    }
    for (const overlay of overlays) {
      const out = spawnSync('kubectl', ['kustomize', path.join(k8sDir, 'overlays', overlay)], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const byKey = (objects: K8sObject[]) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      assert.deepEqual(byKey(parseAllDocuments(out.stdout).map((d) => d.toJSON() as K8sObject)), byKey(kustomizeBuild(path.join(k8sDir, 'overlays', overlay))), overlay);
    }
  });

  it('every environment variable set is one the services read', () => {
    for (const overlay of overlays) {
      const objects = build(overlay);
      const names = [...Object.keys(find(objects, 'ConfigMap', 'video-detect-config').data as Record<string, string>)];
      for (const o of objects.filter((x) => x.kind === 'Deployment')) names.push(...(container(o).env ?? []).map((e) => e.name));
      for (const name of names) assert.ok(name in envSchema.shape, `${overlay}: ${name} is not a setting`);
      assert.doesNotThrow(() => loadConfig(find(objects, 'ConfigMap', 'video-detect-config').data as Record<string, string>));
    }
  });

  it('probes use the health checks; termination outlasts the services\' SIGTERM handling', () => {
    const objects = build('cpu');
    const api = container(find(objects, 'Deployment', 'api'));
    assert.equal(api.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(api.livenessProbe?.httpGet?.path, '/healthz');
    for (const [name, queue] of [['processor', QueueName.Processor], ['detector', QueueName.Detector]] as const) {
      const c = container(find(objects, 'Deployment', name));
      for (const probe of [c.readinessProbe, c.livenessProbe]) assert.deepEqual(probe?.exec?.command, ['node', '/app/shared/dist/worker-healthcheck.js', queue], name);
      assert.equal(c.ports?.[0]?.containerPort, loadConfig({}).metrics.workerPort, `${name} metrics port`);
    }
    for (const name of ['api', 'processor', 'detector']) {
      const deployment = find(objects, 'Deployment', name);
      const preStop = container(deployment).lifecycle?.preStop?.sleep?.seconds ?? 0;
      assert.ok((podSpec(deployment).terminationGracePeriodSeconds ?? 30) * 1000 > shutdownMs + preStop * 1000 + 5000, `${name}: grace period`);
    }
    const redisArgs = container(find(objects, 'StatefulSet', 'redis')).args?.join(' ') ?? '';
    assert.match(redisArgs, /--appendonly yes/);
    assert.match(redisArgs, /--maxmemory-policy noeviction/);
  });

  it('KEDA scales the detector Deployment on its queue, to zero when idle', () => {
    for (const overlay of overlays) {
      const scaler = find(build(overlay), 'ScaledObject', 'detector').spec as {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        triggers: Array<{ type: string; metadata: { query: string; threshold: string } }>;
      };
      assert.equal(scaler.scaleTargetRef.name, 'detector');
      assert.equal(scaler.minReplicaCount, 0);
      assert.match(scaler.triggers[0]!.metadata.query, /video_detect_queue_jobs\{queue="detector",state=~"waiting\|active"\}/);
      assert.ok(Number(scaler.triggers[0]!.metadata.threshold) > 0);
    }
  });

  it('CPU detectors run one thread on one core; GPU detectors take one GPU on a GPU node with a GPU provider', () => {
    const cpu = container(find(build('cpu'), 'Deployment', 'detector'));
    assert.equal(cpu.env?.find((e) => e.name === 'DETECTOR_INTRA_OP_THREADS')?.value, '1');
    assert.equal(cpu.resources?.limits?.cpu, '1');
    const gpuDeployment = find(build('gpu'), 'Deployment', 'detector');
    const gpu = container(gpuDeployment);
    const provider = gpu.env?.find((e) => e.name === 'DETECTOR_EXECUTION_PROVIDER')?.value;
    assert.ok(provider && provider !== 'cpu' && (EXECUTION_PROVIDERS as readonly string[]).includes(provider), `provider ${provider}`);
    assert.equal(gpu.resources?.limits?.['nvidia.com/gpu'], 1);
    assert.equal(gpu.resources?.requests?.['nvidia.com/gpu'], 1);
    assert.match(gpu.image, /detector-gpu:/, 'the gpu image target');
    assert.ok(Object.keys(podSpec(gpuDeployment).nodeSelector ?? {}).length > 0, 'node selector');
  });
});
