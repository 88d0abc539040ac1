import { openAsBlob, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { JobName, type JobProducer } from '@video-detect/shared';
import { emitRecord, note } from './figures.js';
import type { ServiceStack } from './service-stack.js';

/** CPU time the process has used so far (user + system), in ms: /proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** Samples a process's resident memory every 20 ms while `fn` runs. */
async function peakRss<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; beforeMb: number; peakMb: number }> {
  const beforeMb = rssMb(pid);
  let peakMb = beforeMb;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, rssMb(pid))), 20);
  try {
    const result = await fn();
    return { result, beforeMb, peakMb: Math.max(peakMb, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

export interface ReadLoadOptions {
  apiPid: number;
  /** A completed video whose resource and detection pages are read. */
  videoId: string;
  framesTotal: number;
  /** Videos uploaded to keep two in processing while the reads run. */
  busyVideos: string[];
  connections: number[];
  seconds: number;
  /** The target's rate (requests/s), run at a fixed rate after the open-loop steps. */
  targetRate: number;
  /** The nice value the processor and detectors run at (reported). */
  workerNice: number;
}

/**
 * Reads under load (autocannon): `GET /videos/{id}` and pages of `/detections` of a completed long
 * video, alternating, at increasing concurrency while two other videos are being processed (the
 * detectors compete for the same CPUs). Then a fixed rate, for the target: p99 < 100 ms, 0 errors.
 */
export async function readLoad(stack: ServiceStack, options: ReadLoadOptions): Promise<void> {
  const inFlight: string[] = [];
  /** Keeps two videos queued or processing, uploading another when one ends. */
  async function keepTwoProcessing(): Promise<number> {
    for (const id of [...inFlight]) {
      const { status } = await stack.get(id);
      if (status !== 'queued' && status !== 'processing') {
        inFlight.splice(inFlight.indexOf(id), 1);
        await stack.delete(id);
      }
    }
    for (let i = 0; inFlight.length < 2; i++) inFlight.push(await stack.upload(options.busyVideos[(inFlight.length + i) % options.busyVideos.length]!));
    let processing = 0;
    for (const id of inFlight) if ((await stack.get(id)).status === 'processing') processing++;
    return processing;
  }

  const pages = Math.max(1, Math.ceil(options.framesTotal / 100));
  let next = 0;
  const requests: autocannon.Request[] = [
    { method: 'GET', path: `/api/v1/videos/${options.videoId}` },
    {
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: `/api/v1/videos/${options.videoId}/detections?offset=${(next++ % pages) * 100}&limit=100` }),
    },
  ];
  const run = async (label: string, extra: Partial<autocannon.Options>) => {
    const processingBefore = await keepTwoProcessing();
    const cpuBefore = cpuMs(options.apiPid);
    const result = await autocannon({ url: stack.baseUrl, headers: { authorization: stack.authorization }, requests, duration: options.seconds, ...extra });
    const processingAfter = (await Promise.all(inFlight.map((id) => stack.get(id)))).filter((v) => v.status === 'processing').length;
    const errors = result.errors + result.timeouts + result.non2xx;
    // What a request costs the API in CPU: independent of how busy the machine is, unlike latency.
    const apiCpuMsPerRequest = (cpuMs(options.apiPid) - cpuBefore) / Math.max(1, result.requests.total);
    emitRecord('api_reads', {
      step: label,
      connections: result.connections,
      rate_limit: extra.overallRate ?? null,
      requests_per_s: Math.round(result.requests.average),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      requests: result.requests.total,
      errors,
      videos_processing: `${processingBefore} -> ${processingAfter}`,
      api_cpu_ms_per_request: +apiCpuMsPerRequest.toFixed(2),
      worker_nice: options.workerNice,
      load_avg_1m: +loadavg()[0]!.toFixed(1),
      cpus: availableParallelism(),
      ...(extra.overallRate ? { target: `p99 < 100 ms, 0 errors at ${extra.overallRate} req/s`, met: result.latency.p99 < 100 && errors === 0 } : {}),
    });
    note(`reads ${label}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${errors} errors`);
  };
  for (const connections of options.connections) await run(`${connections} connections`, { connections });
  await run(`fixed ${options.targetRate} req/s`, { connections: 20, overallRate: options.targetRate });
  for (const id of inFlight) await stack.delete(id);
}

export interface UploadBurstOptions {
  file: string;
  count: number;
  /** The API's storage folder, empty before the burst. */
  storageDir: string;
  jobs: JobProducer;
  /** The API's per-user upload limit per window (a tenth of RATE_LIMIT_MAX). */
  uploadLimit: number;
}

/**
 * `count` uploads of one file at once, as one user: each must be accepted (202) or refused with
 * 429 or 413; every accepted one must be a video whose stored file is whole and whose plan job is
 * queued, and nothing else may be left in storage. The API's RSS is sampled throughout.
 */
export async function uploadBurst(stack: ServiceStack, apiPid: number, options: UploadBurstOptions): Promise<void> {
  const size = statSync(options.file).size;
  const upload = async () => {
    const form = new FormData();
    form.append('video', await openAsBlob(options.file), path.basename(options.file));
    const started = performance.now();
    const res = await fetch(`${stack.baseUrl}/api/v1/videos`, { method: 'POST', headers: { authorization: stack.authorization }, body: form });
    const body = (await res.json()) as { id?: string; error?: { code: string } };
    return { status: res.status, id: body.id, ms: performance.now() - started };
  };
  const started = performance.now();
  const { result: answers, beforeMb, peakMb } = await peakRss(apiPid, () => Promise.all(Array.from({ length: options.count }, upload)));
  const seconds = (performance.now() - started) / 1000;
  const byStatus: Record<string, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const accepted = answers.filter((a) => a.status === 202 && a.id).map((a) => a.id!);
  const unexpected = answers.filter((a) => ![202, 413, 429].includes(a.status));

  // None lost or half-stored: each accepted upload is a queued video of the right size with its job,
  // and storage holds exactly one whole file per accepted upload.
  let lost = 0;
  for (const id of accepted) {
    const video = (await stack.get(id)) as unknown as { status: string; size_bytes: number };
    const job = await options.jobs.getJob(JobName.Plan, { videoId: id });
    if (video.size_bytes !== size || !job) lost++;
  }
  // Every file, including any left in the staging folder (`.incoming/`), which must be empty.
  const files = readdirSync(options.storageDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(path.join(entry.parentPath, entry.name)).size);
  const whole = files.filter((bytes) => bytes === size).length;
  const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
  emitRecord('api_upload_burst', {
    uploads: options.count,
    file_bytes: size,
    upload_limit_per_window: options.uploadLimit,
    answers: byStatus,
    unexpected: unexpected.length,
    accepted: accepted.length,
    lost_or_half_stored: lost + (files.length - whole) + Math.abs(whole - accepted.length),
    files_in_storage: files.length,
    seconds: +seconds.toFixed(2),
    p50_ms: Math.round(latencies[latencies.length >> 1] ?? 0),
    max_ms: Math.round(latencies.at(-1) ?? 0),
    api_rss_before_mb: +beforeMb.toFixed(1),
    api_rss_peak_mb: +peakMb.toFixed(1),
  });
  note(`upload burst: ${JSON.stringify(byStatus)}, ${files.length} files stored, API RSS ${beforeMb.toFixed(0)} -> ${peakMb.toFixed(0)} MB`);
  for (const id of accepted) await stack.delete(id);
}
