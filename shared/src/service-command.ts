/** The services that run as their own Node process (and Docker image). */
export type ServiceName = 'api' | 'processor' | 'detector';

/**
 * Node's flags for each service, for the launchers written in TypeScript (`npm start`, the test
 * stack, the benchmark); each package.json `start` script and Dockerfile CMD spells out the same.
 * The detector collects garbage on the thread that made it: V8's background GC helper threads cost
 * it about 1 ms more CPU a frame (a frame buffer and a model output every frame; docs/performance.md).
 */
export const serviceNodeFlags: Record<ServiceName, readonly string[]> = {
  api: ['--enable-source-maps'],
  processor: ['--enable-source-maps'],
  detector: ['--enable-source-maps', '--single-threaded-gc'],
};

/** The command-line arguments that start a service from its build. */
export function serviceNodeArgs(service: ServiceName, repoRoot: string): string[] {
  return [...serviceNodeFlags[service], `${repoRoot}/services/${service}/dist/main.js`];
}
