/** Who a request is sent as: one of the two seeded users, or a caller without a valid token. */
export type Caller = 'owner' | 'other' | 'none' | 'garbage' | 'forged' | 'expired';
export type User = Extract<Caller, 'owner' | 'other'>;

export interface KnownId {
  value: string;
  owner: User | null;
  /** Never used by a DELETE: the seeded completed video stays, so reads keep reaching their success paths. */
  kept: boolean;
}

/** `/api/v1/videos/{id}/tracks/{track_id}` → the literal segment before each `{param}`. */
export function segmentBefore(path: string, param: string): string {
  const parts = path.split('/');
  const at = parts.indexOf(`{${param}}`);
  return at > 0 ? (parts[at - 1] ?? '') : '';
}

/** The last literal segment: what a POST to the path creates, or what its list holds. */
export function collectionOf(path: string): string {
  return (
    path
      .split('/')
      .filter((part) => part && !part.startsWith('{'))
      .at(-1) ?? ''
  );
}

/**
 * What the run knows about the server: ids by collection (`videos`, `webhooks`, `tracks`...) with
 * their owners, and string values by property name (usernames, passwords, refresh tokens).
 */
export class FuzzState {
  private readonly ids = new Map<string, KnownId[]>();
  private readonly values = new Map<string, string[]>();

  addId(collection: string, id: KnownId): void {
    const list = this.ids.get(collection) ?? [];
    if (!list.some((known) => known.value === id.value)) list.push(id);
    this.ids.set(collection, list.slice(-50));
  }

  removeId(collection: string, value: string): void {
    this.ids.set(
      collection,
      (this.ids.get(collection) ?? []).filter((known) => known.kept || known.value !== value),
    );
  }

  /** The `index`-th known id of the collection (modulo), or undefined when none is known. */
  pickId(collection: string, index: number, forDelete: boolean): KnownId | undefined {
    const list = (this.ids.get(collection) ?? []).filter((known) => !(forDelete && known.kept));
    return list.length > 0 ? list[index % list.length] : undefined;
  }

  ownerOf(collection: string, value: string): User | null {
    return this.ids.get(collection)?.find((known) => known.value === value)?.owner ?? null;
  }

  addValue(name: string, value: string): void {
    const list = this.values.get(name) ?? [];
    if (!list.includes(value)) list.push(value);
    this.values.set(name, list.slice(-20));
  }

  replaceValues(name: string, values: string[]): void {
    this.values.set(name, values);
  }

  known = (name: string): readonly string[] => this.values.get(name) ?? [];
}
