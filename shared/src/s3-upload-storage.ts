import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from './config.js';
import { StorageUnavailableError, UnreadableVideoError } from './failures.js';
import { mediaInput, type MediaInput } from './media-input.js';
import { assertStoredName, type UploadStorage } from './upload-storage.js';

/** A client error (4xx) is the store's answer about this request; anything else (no answer, 5xx) means it is away. */
function isStoreAnswer(err: unknown): err is S3ServiceException {
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

const isNotFound = (err: unknown) => isStoreAnswer(err) && (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404);

/**
 * STORAGE=s3: uploads are objects `<S3_PREFIX><name>` in one bucket of any S3-compatible service.
 * Uploads stream in as multipart uploads (memory: part size × parts in flight) and are aborted on
 * any error; ffprobe and ffmpeg read through presigned GET URLs with range requests, so no service
 * keeps a copy on its own disk.
 */
export class S3UploadStorage implements UploadStorage {
  readonly kind = 's3';
  readonly client: S3Client;

  constructor(readonly settings: S3Settings) {
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

  async remove(fileName: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(fileName) }));
    } catch (err) {
      throw isStoreAnswer(err) ? err : new StorageUnavailableError('deleting the upload', err);
    }
  }
}
