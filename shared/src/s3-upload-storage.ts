import { createReadStream, mkdirSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from './config.js';
import { StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { mediaInput, type MediaInput } from './media-input.js';
import { assertStoredName, INCOMING_DIR, type UploadStage, type UploadStorage } from './upload-storage.js';

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
 *
 * As on a local disk, an upload is received under an incoming prefix, `<S3_PREFIX>.incoming/<name>`,
 * and copied to its place only once its video is recorded (`promote`). An API killed at any point
 * of a request therefore leaves either an unfinished multipart upload or an object under the
 * incoming prefix, never an unrecorded object among the videos, and `sweepIncoming` (run by every
 * API replica) removes both once idle for UPLOAD_IDLE_SECONDS. Why a prefix rather than listing the
 * videos' objects and checking each against its Redis record: with many replicas, a sweeper cannot
 * tell an object whose record is being written right now from an orphan without a lock shared with
 * every request; with the prefix, a video's object is never under it, so no sweep can touch an
 * object a recorded video uses. An incoming object goes only once it has been both dated and seen
 * by the sweeper complete for the idle age (`incomingFirstSeen`), so the request that completed it,
 * however long its upload took, has had that long to record it.
 */
export class S3UploadStorage implements UploadStorage {
  readonly kind = 's3';
  readonly client: S3Client;

  /** Local folder for scratch files (`scratchPathOf`) until they are uploaded; nothing stays there. */
  private readonly scratchDir: string;

  /**
   * When this process's sweep first listed each incoming object (ms). On AWS a multipart object is
   * dated when its upload began, so after a long upload its date says nothing of how long it has been
   * complete; it exists only once complete, so being listed idle-age apart means its request had
   * that long to record it. Per process: a restarted sweeper waits one idle age before removing.
   */
  private readonly incomingFirstSeen = new Map<string, number>();

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

  /** Where an upload is while it is received and checked. Stored names start with a letter or digit, so never with `.incoming`. */
  incomingKeyOf(fileName: string): string {
    assertStoredName(fileName);
    return `${this.incomingPrefix}${fileName}`;
  }

  get incomingPrefix(): string {
    return `${this.settings.prefix}${INCOMING_DIR}/`;
  }

  private keyIn(fileName: string, stage: UploadStage): string {
    return stage === 'stored' ? this.keyOf(fileName) : this.incomingKeyOf(fileName);
  }

  async ensure(): Promise<void> {}

  /**
   * Copies the accepted upload to its place (server-side; the record is already written), then
   * removes the incoming object. If that removal fails the sweep removes it later.
   */
  async promote(fileName: string): Promise<void> {
    const from = this.incomingKeyOf(fileName);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.keyOf(fileName),
          CopySource: `${this.settings.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
          // A checksum of the whole copy: the source's, a multipart one, would not match a whole-object read.
          ChecksumAlgorithm: 'CRC32',
        }),
      );
    } catch (err) {
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('storing the upload', err);
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: from })).catch(() => undefined);
  }

  /**
   * Removes what requests of dead processes left (any replica's, so only by age): objects under the
   * incoming prefix older than `idleSeconds` and first listed by this sweeper at least that long ago, and multipart uploads under S3_PREFIX (an upload, or a
   * render being published) that received nothing for `idleSeconds` (the newest part, or the start
   * when there is none: a slow but live upload is kept). Returns the names (incoming objects) and
   * keys (aborted uploads, with ` (unfinished)`).
   */
  async sweepIncoming(idleSeconds: number, now = Date.now()): Promise<string[]> {
    const { bucket } = this.settings;
    const idleSince = now - idleSeconds * 1000;
    const removed: string[] = [];
    const listed = new Set<string>();
    try {
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: this.incomingPrefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          if (!object.Key || !object.LastModified) continue;
          listed.add(object.Key);
          const firstSeen = this.incomingFirstSeen.get(object.Key) ?? now;
          this.incomingFirstSeen.set(object.Key, firstSeen);
          if (object.LastModified.getTime() > idleSince || firstSeen > idleSince) continue;
          await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
          this.incomingFirstSeen.delete(object.Key);
          removed.push(object.Key.slice(this.incomingPrefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      for (const key of this.incomingFirstSeen.keys()) if (!listed.has(key)) this.incomingFirstSeen.delete(key);

      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: this.settings.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() > idleSince) continue;
          if ((await this.lastActivity(upload.Key, upload.UploadId, upload.Initiated.getTime())) > idleSince) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId })).catch((err: unknown) => {
            // Another replica's sweep, or the upload completing right now: nothing to abort.
            if (!isNotFound(err)) throw err;
          });
          removed.push(`${upload.Key} (unfinished)`);
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
    } catch (err) {
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('sweeping unfinished uploads', err);
    }
    return removed;
  }

  /** When a multipart upload last received a part (its start when none), in ms. */
  private async lastActivity(key: string, uploadId: string, initiated: number): Promise<number> {
    let latest = initiated;
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListPartsCommand({ Bucket: this.settings.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })).catch((err: unknown) => {
        if (isNotFound(err)) return null; // completed or aborted meanwhile
        throw err;
      });
      if (!page) return Number.POSITIVE_INFINITY;
      for (const part of page.Parts ?? []) latest = Math.max(latest, part.LastModified?.getTime() ?? 0);
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return latest;
  }

  async source(fileName: string, stage: UploadStage = 'stored'): Promise<MediaInput> {
    const target = { Bucket: this.settings.bucket, Key: this.keyIn(fileName, stage) };
    try {
      await this.client.send(new HeadObjectCommand(target));
    } catch (err) {
      if (isNotFound(err)) throw new UnreadableVideoError('the stored upload is gone from the bucket');
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('checking the upload', err);
    }
    const url = await getSignedUrl(this.client, new GetObjectCommand(target), { expiresIn: this.settings.presignTtlSeconds });
    return mediaInput(url);
  }

  /** Streams an upload under the incoming prefix. */
  async put(fileName: string, body: Readable): Promise<void> {
    await this.upload(this.incomingKeyOf(fileName), body);
  }

  private async upload(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: key, Body: body },
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
    // Straight to its place: its record (the render's) is written once this returns.
    await this.upload(this.keyOf(fileName), createReadStream(scratch));
    await rm(scratch, { force: true });
    return size;
  }

  async discardScratch(fileName: string): Promise<void> {
    await rm(this.scratchPathOf(fileName), { force: true });
  }

  async remove(fileName: string): Promise<void> {
    try {
      for (const key of [this.keyOf(fileName), this.incomingKeyOf(fileName)]) await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    } catch (err) {
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('deleting the upload', err);
    }
  }
}
