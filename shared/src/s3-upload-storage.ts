import { createReadStream, mkdirSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from './config.js';
import { StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { mediaInput, type MediaInput } from './media-input.js';
import { assertStoredName, type UploadStorage } from './upload-storage.js';

/** A stored object as an HTTP answer: a whole body (200), a part (206), not modified (304) or a range outside it (416). */
export interface StoredObjectResponse {
  status: 200 | 206 | 304 | 416;
  headers: Record<string, string>;
  /** null for HEAD and 304. */
  body: Readable | null;
}

/** The HTTP status the store answered with, when it answered (the SDK's errors carry it, modelled or not). */
function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A client error (3xx/4xx) is the store's answer about this request; anything else (no answer, 5xx) means it is away. */
function isStoreAnswer(err: unknown): boolean {
  const status = statusOf(err);
  return status !== undefined && status >= 300 && status < 500;
}

const isNotFound = (err: unknown) => statusOf(err) === 404 || (err instanceof S3ServiceException && (err.name === 'NotFound' || err.name === 'NoSuchKey'));

/**
 * STORAGE=s3: uploads are objects `<S3_PREFIX><name>` in one bucket of any S3-compatible service.
 * Uploads stream in as multipart uploads (memory: part size × parts in flight) and are aborted on
 * any error; ffprobe and ffmpeg read through presigned GET URLs with range requests, so no service
 * keeps a copy on its own disk.
 */
export class S3UploadStorage implements UploadStorage {
  readonly kind = 's3';
  readonly client: S3Client;

  /** Local folder for scratch files (`scratchPathOf`) until they are uploaded; nothing stays there. */
  private readonly scratchDir: string;

  /** @param localDir VIDEO_STORAGE_DIR: only scratch files are written there, and removed once uploaded. */
  constructor(
    readonly settings: S3Settings,
    localDir: string,
  ) {
    this.scratchDir = path.resolve(localDir, '.scratch');
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.credentials,
      // Fail fast when the store is away (the API answers 503, a job is retried) instead of hanging.
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
    });
  }

  keyOf(fileName: string): string {
    assertStoredName(fileName);
    return `${this.settings.prefix}${fileName}`;
  }

  async ensure(): Promise<void> {}

  /**
   * An object exists only once its multipart upload completes, and a video is recorded right after,
   * so incoming and stored are the same key (no copy). A multipart upload cut off by a dead process
   * is invisible; the bucket's AbortIncompleteMultipartUpload lifecycle rule frees its parts.
   */
  async promote(): Promise<void> {}

  sweepIncoming(): Promise<string[]> {
    return Promise.resolve([]);
  }

  async source(fileName: string): Promise<MediaInput> {
    const target = { Bucket: this.settings.bucket, Key: this.keyOf(fileName) };
    try {
      await this.client.send(new HeadObjectCommand(target));
    } catch (err) {
      if (isNotFound(err)) throw new UnreadableVideoError('the stored upload is gone from the bucket');
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('checking the upload', err);
    }
    const url = await getSignedUrl(this.client, new GetObjectCommand(target), { expiresIn: this.settings.presignTtlSeconds });
    return mediaInput(url);
  }

  async put(fileName: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.keyOf(fileName), Body: body },
      partSize: this.settings.partSizeBytes,
      queueSize: this.settings.queueSize,
      // An error (the body's, or the store's) aborts the multipart upload: no parts are left to pay for.
      leavePartsOnError: false,
    });
    let bodyError: Error | null = null;
    body.once('error', (err) => (bodyError = err));
    try {
      await upload.done();
    } catch (err) {
      // The body's own error (over the limit, the client gone) is the reason, not the store.
      if (bodyError) throw bodyError as Error;
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('storing the upload', err);
    }
  }

  /**
   * Reads a stored object for an HTTP client, passing its `Range` and `If-None-Match` on: the store
   * answers the part (206), 304 or 416 itself. UnreadableVideoError when it is gone.
   */
  async read(fileName: string, request: { range?: string; ifNoneMatch?: string; head?: boolean }): Promise<StoredObjectResponse> {
    const target = { Bucket: this.settings.bucket, Key: this.keyOf(fileName), Range: request.range, IfNoneMatch: request.ifNoneMatch };
    try {
      const out = request.head ? await this.client.send(new HeadObjectCommand(target)) : await this.client.send(new GetObjectCommand(target));
      const headers: Record<string, string> = { 'Accept-Ranges': 'bytes' };
      if (out.ContentLength !== undefined) headers['Content-Length'] = String(out.ContentLength);
      if (out.ContentRange) headers['Content-Range'] = out.ContentRange;
      if (out.ETag) headers.ETag = out.ETag;
      if (out.LastModified) headers['Last-Modified'] = out.LastModified.toUTCString();
      const body = 'Body' in out && out.Body instanceof Readable ? out.Body : null;
      return { status: out.ContentRange ? 206 : 200, headers, body };
    } catch (err) {
      const status = statusOf(err);
      if (status === 304 || status === 416) return { status, headers: {}, body: null };
      if (isNotFound(err)) throw new UnreadableVideoError('the stored upload is gone from the bucket');
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('reading the upload', err);
    }
  }

  async sizeOf(fileName: string): Promise<number | null> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(fileName) }))).ContentLength ?? null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('checking a file', err);
    }
  }

  scratchPathOf(fileName: string): string {
    assertStoredName(fileName);
    mkdirSync(this.scratchDir, { recursive: true });
    return path.join(this.scratchDir, `${fileName}.partial`);
  }

  /** Uploads the finished scratch file (multipart, streamed) as `fileName`, then removes it locally. */
  async commitScratch(fileName: string): Promise<number> {
    const scratch = this.scratchPathOf(fileName);
    const { size } = await stat(scratch);
    await this.put(fileName, createReadStream(scratch));
    await rm(scratch, { force: true });
    return size;
  }

  async discardScratch(fileName: string): Promise<void> {
    await rm(this.scratchPathOf(fileName), { force: true });
  }

  async remove(fileName: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(fileName) }));
    } catch (err) {
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('deleting the upload', err);
    }
  }
}
