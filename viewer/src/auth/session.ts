import { ApiError, dataOf, publicApi, type TokenPair } from '../api/http';

interface StoredSession {
  username: string;
  access_token: string;
  refresh_token: string;
  /** When the access token expires (ms since the epoch). */
  expires_at: number;
  /** How long access tokens live (ms). */
  lifetime: number;
}

const STORAGE_KEY = 'video-detect.session';
/** Rotate a minute (a fifth of the lifetime, when shorter) before the access token expires, so requests never wait for a refresh. */
const refreshAhead = (lifetime: number) => Math.min(60_000, lifetime / 5);
export const SESSION_EXPIRED = 'Your session has expired. Please sign in again.';

type Listener = (signedIn: boolean, message: string | null) => void;

/**
 * The signed-in user's tokens. The access token is refreshed in the background before it expires;
 * the refresh token rotates on every use, so tabs share one copy (localStorage) and take turns
 * through a Web Lock: a tab that waited finds the rotated pair and uses it instead of spending the
 * old refresh token (which the API would refuse). Signing out forgets both.
 */
class Session {
  private current: StoredSession | null = read();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor() {
    window.addEventListener('storage', (e) => {
      if (e.key !== STORAGE_KEY) return;
      const was = this.current !== null;
      this.current = read();
      this.schedule();
      if (was !== (this.current !== null)) this.emit(null);
    });
    this.schedule();
  }

  get username(): string | null {
    return this.current?.username ?? null;
  }

  get accessToken(): string | null {
    return this.current?.access_token ?? null;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(username: string, password: string): Promise<void> {
    const pair = dataOf(await publicApi.POST('/api/v1/auth/token', { body: { username, password } }));
    this.store(username, pair);
    this.emit(null);
  }

  async register(username: string, password: string): Promise<void> {
    dataOf(await publicApi.POST('/api/v1/auth/register', { body: { username, password } }));
    await this.signIn(username, password);
  }

  /** Forgets both tokens (here and in every tab); `message` says why when it was not the person's choice. */
  signOut(message: string | null = null): void {
    clearTimeout(this.timer);
    this.current = null;
    localStorage.removeItem(STORAGE_KEY);
    this.emit(message);
  }

  /** Exchanges the refresh token for a new pair (once at a time); false when the session is over (then signed out). */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<boolean> {
    const spent = this.current?.refresh_token;
    if (!spent) return false;
    const run = async (): Promise<boolean> => {
      const latest = read();
      // Another tab rotated while this one waited: its pair is the live one.
      if (latest && latest.refresh_token !== spent) {
        this.current = latest;
        this.schedule();
        return true;
      }
      try {
        const pair = dataOf(await publicApi.POST('/api/v1/auth/refresh', { body: { refresh_token: spent } }));
        this.store(this.current?.username ?? latest?.username ?? '', pair);
        return true;
      } catch (err) {
        // Unreachable, busy or rate-limited server: keep the tokens and try again later; only a refused token ends the session.
        if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 400)) {
          this.timer = setTimeout(() => void this.refresh(), 10_000);
          throw err;
        }
        this.signOut(SESSION_EXPIRED);
        return false;
      }
    };
    return navigator.locks ? navigator.locks.request('video-detect.refresh', run) : run();
  }

  private store(username: string, pair: TokenPair): void {
    this.current = { username, access_token: pair.access_token, refresh_token: pair.refresh_token, expires_at: Date.now() + pair.expires_in * 1000, lifetime: pair.expires_in * 1000 };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.current));
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.current) return;
    const wait = Math.max(1000, this.current.expires_at - Date.now() - refreshAhead(this.current.lifetime ?? 900_000));
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), wait);
  }

  private emit(message: string | null): void {
    for (const listener of this.listeners) listener(this.current !== null, message);
  }
}

function read(): StoredSession | null {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as StoredSession | null;
    return value && typeof value.access_token === 'string' && typeof value.refresh_token === 'string' ? value : null;
  } catch {
    return null;
  }
}

export const session = new Session();
