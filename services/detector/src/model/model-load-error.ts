import { FailureCode } from '@video-detect/shared';

/** The model cannot be used: the message names the file and what is wrong with it. The detector refuses to start. */
export class ModelLoadError extends Error {
  readonly code = FailureCode.ModelLoadFailed;

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot use model ${file}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}
