// Counts per key in bounded memory (the space-saving algorithm): the heaviest keys are
// kept exactly enough to rank them, however many distinct resource names appear.

export class TopCounts {
  readonly #counts = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 1_000) {
    this.#capacity = capacity;
  }

  add(key: string): void {
    const current = this.#counts.get(key);
    if (current !== undefined) {
      this.#counts.set(key, current + 1);
      return;
    }
    if (this.#counts.size < this.#capacity) {
      this.#counts.set(key, 1);
      return;
    }
    // Replace the lightest key; the newcomer inherits its count (an upper bound).
    let lightest: string | undefined;
    let least = Infinity;
    for (const [k, n] of this.#counts) {
      if (n < least) {
        least = n;
        lightest = k;
      }
    }
    this.#counts.delete(lightest!);
    this.#counts.set(key, least + 1);
  }

  top(limit: number): Array<{ resource: string; count: number }> {
    return [...this.#counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([resource, count]) => ({ resource, count }));
  }

  get size(): number {
    return this.#counts.size;
  }
}
