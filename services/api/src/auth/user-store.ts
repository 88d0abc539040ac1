import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '@video-detect/shared';

export interface User {
  id: string;
  username: string;
  password_hash: string;
  created_at: string;
  /** Bumped by a password change and by "sign out everywhere": tokens carry it, older ones are refused. */
  token_version: number;
}

/** Users in Redis: a hash per user and a username -> id key claimed with SET NX (no duplicate names). */
export class UserStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Creates the user, or returns null when the username is taken. */
  async create(username: string, passwordHash: string): Promise<User | null> {
    const user: User = { id: randomUUID(), username, password_hash: passwordHash, created_at: new Date().toISOString(), token_version: 0 };
    const claimed = await this.redis.set(this.keys.username(username), user.id, 'NX');
    if (claimed !== 'OK') return null;
    await this.redis.hset(this.keys.user(user.id), { ...user });
    return user;
  }

  async findByUsername(username: string): Promise<User | null> {
    const id = await this.redis.get(this.keys.username(username));
    return id ? this.findById(id) : null;
  }

  async findById(id: string): Promise<User | null> {
    const hash = await this.redis.hgetall(this.keys.user(id));
    if (!hash.id || !hash.username || !hash.password_hash) return null;
    return { id: hash.id, username: hash.username, password_hash: hash.password_hash, created_at: hash.created_at ?? '', token_version: Number(hash.token_version ?? 0) };
  }

  /** The user's current token version (0 for users stored before versions existed); null when the user is gone. */
  async tokenVersion(id: string): Promise<number | null> {
    const [userId, version] = await this.redis.hmget(this.keys.user(id), 'id', 'token_version');
    return userId ? Number(version ?? 0) : null;
  }

  /** Revokes every access and refresh token issued to the user so far; returns the new version. */
  async revokeTokens(id: string): Promise<number> {
    return this.redis.hincrby(this.keys.user(id), 'token_version', 1);
  }

  /** Sets a new password hash and revokes every token issued so far, in one step; returns the new token version. */
  async changePassword(id: string, passwordHash: string): Promise<number> {
    const replies = await this.redis.multi().hset(this.keys.user(id), 'password_hash', passwordHash).hincrby(this.keys.user(id), 'token_version', 1).exec();
    const [error, version] = replies?.[1] ?? [new Error('transaction aborted'), null];
    if (error) throw error;
    return Number(version);
  }
}
