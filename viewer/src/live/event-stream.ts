import { EventSourceParserStream } from 'eventsource-parser/stream';
import { authorizedFetch } from '../api/client';
import { messageOf } from '../api/http';

export interface LiveEvent {
  type: string;
  data: unknown;
}

export interface StreamState {
  connected: boolean;
  /** Why it is not connected (it retries by itself). */
  problem: string | null;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Follows a Server-Sent Events route of the API. The routes want the bearer token, which the
 * browser's EventSource cannot send, so this reads the stream with fetch (the token refreshed like
 * any request) and parses it with eventsource-parser; it reconnects with backoff, sending
 * Last-Event-ID so nothing is missed. A stream the server ends on purpose (a video's, after its
 * final event) is not reopened. Returns `stop`.
 */
export function followEvents(path: string, onEvent: (event: LiveEvent) => void, onState: (state: StreamState) => void = () => {}): () => void {
  const abort = new AbortController();
  let lastEventId: string | undefined;
  let backoff = 1000;

  const connect = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const headers = new Headers({ Accept: 'text/event-stream' });
        if (lastEventId) headers.set('Last-Event-ID', lastEventId);
        const response = await authorizedFetch(new Request(path, { headers, signal: abort.signal }));
        if (!response.ok || !response.body) throw new Error(`The live updates answered ${response.status}.`);
        onState({ connected: true, problem: null });
        backoff = 1000;
        const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
        for await (const event of events) {
          if (event.id) lastEventId = event.id;
          const envelope = JSON.parse(event.data) as { type: string; data: unknown };
          onEvent({ type: envelope.type, data: envelope.data });
        }
        // The server ended it: a video's stream after its final event.
        if (path.endsWith('/events') && path !== '/api/v1/events') return;
      } catch (err) {
        if (abort.signal.aborted) return;
        onState({ connected: false, problem: `Live updates paused: ${messageOf(err)} Retrying…` });
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  };
  void connect();
  return () => abort.abort();
}
