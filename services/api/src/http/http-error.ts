/** An error with a status and a stable machine-readable code; the error handler renders it as the contract's JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'video') => new HttpError(404, `${what}_not_found`, `No such ${what}.`);
export const unauthorized = (message = 'A valid bearer access token is required.') => new HttpError(401, 'unauthorized', message);
