import { createParser } from 'eventsource-parser';

export interface ReceivedEvent {
  id: string;
  type: string;
  /** The `data:` JSON: `{type, timestamp, data}`. */
  envelope: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface StreamRead {
  status: number;
  contentType: string | null;
  events: ReceivedEvent[];
  comments: string[];
  /** The server ended the stream (rather than `stop` or the timeout). */
  ended: boolean;
}

/**
 * Reads a Server-Sent Events response (parsed by eventsource-parser) until the server ends it,
 * `stop` says enough, or `timeoutMs` passes; a non-2xx answer comes back with its status and no events.
 */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; stop?: (read: StreamRead) => boolean; onOpen?: () => void },
): Promise<StreamRead> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  const res = await fetch(url, { headers, signal: abort.signal });
  const read: StreamRead = { status: res.status, contentType: res.headers.get('content-type'), events: [], comments: [], ended: false };
  if (!res.ok || !res.body) {
    clearTimeout(timer);
    await res.body?.cancel();
    return read;
  }
  options.onOpen?.();
  const parser = createParser({
    onEvent: (e) => read.events.push({ id: e.id ?? '', type: e.event ?? 'message', envelope: JSON.parse(e.data) as ReceivedEvent['envelope'] }),
    onComment: (c) => read.comments.push(c.trim()),
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (options.stop?.(read)) return read;
    }
    read.ended = true;
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return read;
}
