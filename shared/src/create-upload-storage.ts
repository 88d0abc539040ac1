import type { Config } from './config.js';
import { S3UploadStorage } from './s3-upload-storage.js';
import { LocalUploadStorage, type UploadStorage } from './upload-storage.js';

/** The storage STORAGE names. */
export function createUploadStorage(config: Pick<Config, 'storage'>): UploadStorage {
  const { storage } = config;
  return storage.s3 ? new S3UploadStorage(storage.s3, storage.dir) : new LocalUploadStorage(storage.dir);
}
