import type DataLoader from 'dataloader';

/**
 * A per-request DataLoader whose loads can start before their field resolver runs: what a `ticket`
 * selection will ask of the ticket (its conversation pages, its rating) is read alongside the ticket,
 * one round trip to the database instead of two. The resolver then takes the started load; a load
 * is taken once, so nothing is ever served twice.
 */
export class PrefetchingLoader<K, V> {
  private readonly started = new Map<string, { key: K; value: Promise<V> }>();

  constructor(
    private readonly loader: DataLoader<K, V>,
    private readonly idOf: (key: K) => string,
  ) {}

  /** Starts a load the operation is going to ask for. */
  prefetch(key: K): void {
    const id = this.idOf(key);
    if (this.started.has(id)) return;
    const value = this.loader.load(key);
    // Whoever takes the load sees its failure; a load nobody takes must not fail unhandled.
    value.catch(() => undefined);
    this.started.set(id, { key, value });
  }

  /** Forgets started loads nobody will take (those of a ticket that turned out not to be visible). */
  discard(unwanted: (key: K) => boolean): void {
    for (const [id, { key }] of this.started) if (unwanted(key)) this.started.delete(id);
  }

  load(key: K): Promise<V> {
    const id = this.idOf(key);
    const started = this.started.get(id);
    if (!started) return this.loader.load(key);
    this.started.delete(id);
    return started.value;
  }
}
