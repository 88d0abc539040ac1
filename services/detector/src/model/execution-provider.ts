import type ort from 'onnxruntime-node';
import type { ExecutionProviderName, WebGpuSettings } from '@video-detect/shared';

/** Which provider a session runs on, with its options (`config.detector`). */
export interface ExecutionProviderSettings {
  name: ExecutionProviderName;
  /** CUDA device index; must be 0 for webgpu (it uses the adapter its process sees). */
  deviceId: number;
  /** WebGPU options; ONNX Runtime's defaults where absent. */
  webgpu?: Partial<WebGpuSettings>;
}

/** What an operator checks when a provider does not start. */
const hints: Record<ExecutionProviderName, string> = {
  cpu: 'the CPU provider is part of every onnxruntime-node build',
  webgpu:
    'WebGPU (Dawn on Vulkan, inside onnxruntime-node) needs a GPU with a Vulkan driver and the Vulkan loader (libvulkan.so.1); ' +
    'in a container, the NVIDIA Container Toolkit must mount the graphics libraries (NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics); ' +
    '`vulkaninfo --summary` should list the GPU',
  cuda:
    'the CUDA provider needs onnxruntime-node with its CUDA libraries (the detector-gpu image, or `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node --ignore-scripts=false`), ' +
    'CUDA 12 with cuDNN 9, and the GPU visible to the process (`nvidia-smi`)',
};

/**
 * The provider asked for could not start or run: the detector stops rather than run on another
 * provider (a GPU node silently running on its CPU would be 20x slower and look healthy).
 */
export class ExecutionProviderError extends Error {
  constructor(
    readonly provider: ExecutionProviderName,
    readonly reason: string,
  ) {
    super(`execution provider "${provider}" cannot start: ${reason} (${hints[provider]})`);
    this.name = 'ExecutionProviderError';
  }
}

/**
 * ONNX Runtime's option for the provider, alone: no CPU entry after it, so a provider that fails
 * fails the session. (Within a running GPU session ONNX Runtime still places on the CPU the few
 * nodes the provider has no kernel for, such as shape arithmetic; that is by design.)
 */
export function executionProviderOption(settings: ExecutionProviderSettings): ort.InferenceSession.ExecutionProviderConfig {
  switch (settings.name) {
    case 'cpu':
      return 'cpu';
    case 'webgpu':
      if (settings.deviceId !== 0) {
        throw new ExecutionProviderError(
          'webgpu',
          `DETECTOR_DEVICE_ID=${settings.deviceId}: WebGPU takes the GPU its process sees; give each detector one GPU (NVIDIA_VISIBLE_DEVICES or the container's device reservation) and leave the id at 0`,
        );
      }
      return { name: 'webgpu', ...settings.webgpu };
    case 'cuda':
      return { name: 'cuda', deviceId: settings.deviceId };
  }
}

/** How a provider is described in logs and records: `webgpu`, `cuda:1`. */
export function describeProvider(settings: Pick<ExecutionProviderSettings, 'name' | 'deviceId'>): string {
  return settings.name === 'cuda' ? `cuda:${settings.deviceId}` : settings.name;
}
