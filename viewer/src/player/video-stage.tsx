import { useEffect, useRef } from 'preact/hooks';
import type { Frame, Video } from '../api/http';
import { drawOverlay, type OverlayFilter, type Point, type Shapes } from '../overlay/draw-overlay';
import { frameAt } from '../overlay/frame-lookup';
import type { DetectionsCache } from './detections-cache';

export interface StageProps {
  video: Video;
  src: string;
  cache: DetectionsCache;
  filter: OverlayFilter;
  shapes: Shapes;
  /** Clicks on the picture go to the shape being drawn. */
  drawing: boolean;
  onPoint: (p: Point) => void;
  onFrame: (frame: Frame | null, mediaTime: number) => void;
  onMediaError: () => void;
  videoRef: { current: HTMLVideoElement | null };
  /** Bumped to redraw without a new video frame (filters, shapes, data arrived). */
  redraw: number;
}

/**
 * The `<video>` with a canvas over it. Boxes follow the picture frame by frame: the browser
 * reports each presented frame's media time with requestVideoFrameCallback, and the overlay draws
 * the analysed frame of that timestamp (seeks and pauses included); where the browser lacks it,
 * animation frames and `seeked` read currentTime instead.
 */
export function VideoStage(props: StageProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const latest = useRef(props);
  latest.current = props;
  const lastTime = useRef(0);
  const { video } = props;
  const fps = video.video?.fps ?? 30;
  const sampleFps = video.options.sample_fps ?? null;

  const paint = (mediaTime: number) => {
    lastTime.current = mediaTime;
    const canvas = canvasRef.current;
    const el = props.videoRef.current;
    if (!canvas || !el) return;
    const { cache, filter, shapes, onFrame } = latest.current;
    cache.want(mediaTime);
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * dpr);
    const h = Math.round(canvas.clientHeight * dpr);
    if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    const frameDuration = 1 / fps;
    const frame = frameAt(cache.frames(), mediaTime, frameDuration / 2, sampleFps ? Math.max(frameDuration, 1 / sampleFps) : frameDuration);
    canvas.dataset.frameIndex = frame ? String(frame.index) : '';
    drawOverlay(canvas.getContext('2d')!, frame, filter, shapes, w / (video.video?.width ?? el.videoWidth ?? w));
    onFrame(frame, mediaTime);
  };

  useEffect(() => {
    const el = props.videoRef.current!;
    let stopped = false;
    let handle = 0;
    const onSeeked = () => paint(el.currentTime);
    el.addEventListener('seeked', onSeeked);
    el.addEventListener('loadeddata', onSeeked);
    if ('requestVideoFrameCallback' in el) {
      const tick = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (stopped) return;
        paint(meta.mediaTime);
        handle = el.requestVideoFrameCallback(tick);
      };
      handle = el.requestVideoFrameCallback(tick);
    } else {
      const tick = () => {
        if (stopped) return;
        paint((el as HTMLVideoElement).currentTime);
        handle = requestAnimationFrame(tick);
      };
      handle = requestAnimationFrame(tick);
    }
    const resize = new ResizeObserver(() => paint(lastTime.current));
    resize.observe(el);
    return () => {
      stopped = true;
      if ('cancelVideoFrameCallback' in el) el.cancelVideoFrameCallback(handle);
      else cancelAnimationFrame(handle);
      el.removeEventListener('seeked', onSeeked);
      el.removeEventListener('loadeddata', onSeeked);
      resize.disconnect();
    };
  }, []);

  useEffect(() => paint(lastTime.current), [props.redraw]);

  const click = (e: MouseEvent) => {
    const canvas = canvasRef.current!;
    const rect = canvas.getBoundingClientRect();
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    props.onPoint([clamp((e.clientX - rect.left) / rect.width), clamp((e.clientY - rect.top) / rect.height)]);
  };

  const aspect = video.video ? `${video.video.width} / ${video.video.height}` : '16 / 9';
  return (
    <div class="stage" style={{ aspectRatio: aspect }}>
      <video ref={props.videoRef} src={props.src} controls muted playsInline preload="auto" onError={props.onMediaError} />
      <canvas ref={canvasRef} class={props.drawing ? 'drawing' : ''} onClick={props.drawing ? click : undefined} aria-label="Detections overlay" />
    </div>
  );
}
