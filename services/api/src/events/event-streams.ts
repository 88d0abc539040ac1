import type { Request, Response } from 'express';
import {
  compareStreamIds,
  endsVideoStream,
  eventEnvelope,
  statusEventType,
  streamIdTime,
  type EventLog,
  type Logger,
  type StoredEvent,
  type VideoRecord,
} from '@video-detect/shared';
import type { VideoService } from '../videos/video-service.js';

/** Events read from Redis per round trip. */
const BATCH = 100;

export interface StreamRequest {
  ownerId: string;
  /** The client's Last-Event-ID: replay what came after it. Absent: start now (a video's stream first sends its current state). */
  lastEventId: string | undefined;
  /** Only this video's events; the stream ends after its final one. */
  video?: VideoRecord;
  /** Only events of videos with this tag. */
  clientTag?: string;
}

export interface EventStreamSettings {
  pollMs: number;
  heartbeatMs: number;
}

/**
 * Server-Sent Events from each user's event history in Redis (a capped stream written by the
 * services as things happen), so any API replica serves any client and a reconnecting client
 * resumes with Last-Event-ID. Each open stream reads the history every EVENT_STREAM_POLL_MS and
 * sends a comment line after EVENT_STREAM_HEARTBEAT_MS of silence. The open streams are tracked
 * only to end them on shutdown.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly events: EventLog,
    private readonly videos: VideoService,
    private readonly settings: EventStreamSettings,
    private readonly logger: Logger,
  ) {}

  async serve(req: Request, res: Response, stream: StreamRequest): Promise<void> {
    const { ownerId, video, lastEventId } = stream;
    let cursor = lastEventId ?? (await this.events.lastId(ownerId));
    let ended = false;
    let wake = () => {};
    const end = () => {
      ended = true;
      wake();
    };
    this.open.add(end);
    res.on('close', end);
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    // Reconnect after 3 s; the browser's EventSource sends the last id it saw.
    res.write('retry: 3000\n\n');
    let lastWrite = Date.now();
    const send = (id: string, type: string, dataJson: string) => {
      res.write(`id: ${id}\nevent: ${type}\ndata: ${eventEnvelope(type, streamIdTime(id), dataJson)}\n\n`);
      lastWrite = Date.now();
    };
    try {
      if (video && (lastEventId === undefined || (await this.missedSome(ownerId, lastEventId)))) {
        // Its state now, so the client needs no GET first (or after a gap in the history).
        const current = await this.videos.getOwned(ownerId, video.id);
        send(cursor, statusEventType(current.status), JSON.stringify(await this.videos.toResource(current)));
        if (endsVideoStream(statusEventType(current.status))) return;
      }
      while (!ended) {
        const batch = await this.events.after(ownerId, cursor, BATCH);
        for (const event of batch) {
          cursor = event.id;
          if (!this.wanted(event, stream)) continue;
          send(event.id, event.type, event.data);
          if (video && endsVideoStream(event.type)) return;
        }
        if (batch.length === BATCH) continue;
        if (Date.now() - lastWrite >= this.settings.heartbeatMs) {
          // A video that is gone without a final event (its record expired) ends its stream here.
          if (video && !(await this.videos.exists(video.id))) return;
          res.write(': heartbeat\n\n');
          lastWrite = Date.now();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.settings.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } catch (err) {
      // The client reconnects with Last-Event-ID and misses nothing.
      this.logger.warn({ err, ownerId }, 'event stream ended by an error');
    } finally {
      this.open.delete(end);
      res.end();
    }
  }

  /** Ends every open stream (shutdown: clients reconnect to another replica). */
  closeAll(): void {
    for (const end of [...this.open]) end();
  }

  private wanted(event: StoredEvent, stream: StreamRequest): boolean {
    if (stream.video && event.videoId !== stream.video.id) return false;
    return stream.clientTag === undefined || event.clientTag === stream.clientTag;
  }

  /** Whether events after `lastEventId` were trimmed from the history already. */
  private async missedSome(ownerId: string, lastEventId: string): Promise<boolean> {
    const first = await this.events.firstId(ownerId);
    return first === null || compareStreamIds(lastEventId, first) < 0;
  }
}
