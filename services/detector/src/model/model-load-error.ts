/** The model cannot be used: the message names the file and what is wrong with it. */
export class ModelLoadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot use model ${file}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}
