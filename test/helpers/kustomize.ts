import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string> }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { group?: string; version?: string; kind: string; name: string }; patch: string }>;
}

const KNOWN = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);

/**
 * The part of `kustomize build` this repository's manifests use (resources, labels, namespace,
 * images, JSON 6902 patches), so CI can build them without kubectl; the test checks it against
 * the real `kubectl kustomize` wherever kubectl is installed. Anything else in a kustomization
 * is refused rather than ignored.
 */
export function kustomizeBuild(dir: string): K8sObject[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new Error(`${dir}: kustomization fields this builder does not know: ${unknown.join(', ')}`);
  const objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const target = path.resolve(dir, entry);
    if (statSync(target).isDirectory()) objects.push(...kustomizeBuild(target));
    else for (const doc of parseAllDocuments(readFileSync(target, 'utf8'))) if (doc.contents) objects.push(doc.toJSON() as K8sObject);
  }
  for (const object of objects) {
    for (const { pairs } of k.labels ?? []) object.metadata.labels = { ...object.metadata.labels, ...pairs };
    if (k.namespace) object.metadata.namespace = k.namespace;
    for (const container of containersOf(object)) {
      const image = k.images?.find((i) => container.image.split(':')[0] === i.name);
      if (image) container.image = `${image.newName ?? image.name}:${image.newTag ?? container.image.split(':')[1] ?? 'latest'}`;
    }
  }
  for (const { target, patch } of k.patches ?? []) {
    const matches = objects.filter((o) => o.kind === target.kind && o.metadata.name === target.name && (!target.group || o.apiVersion.startsWith(`${target.group}/`)));
    if (matches.length !== 1) throw new Error(`${dir}: patch target ${target.kind}/${target.name} matches ${matches.length} objects`);
    const [match] = matches as [K8sObject];
    objects[objects.indexOf(match)] = fastJsonPatch.applyPatch(match, parse(patch) as Operation[], true, true).newDocument;
  }
  return objects;
}

export function containersOf(object: K8sObject): Array<{ name: string; image: string; [field: string]: unknown }> {
  const spec = (object.spec as { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } } | undefined)?.template?.spec;
  return spec?.containers ?? [];
}
