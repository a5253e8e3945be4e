// When does a CombinedStore hold a lock? Symfony's two strategies.

export interface Strategy {
  /** Enough stores agreed. */
  isMet(successes: number, stores: number): boolean;
  /** Agreement is still possible after this many failures. */
  canBeMet(failures: number, stores: number): boolean;
}

/** A strict majority of the stores (2 of 3, 3 of 4, 3 of 5). */
export class ConsensusStrategy implements Strategy {
  isMet(successes: number, stores: number): boolean {
    return successes > stores / 2;
  }

  canBeMet(failures: number, stores: number): boolean {
    return failures < stores / 2;
  }
}

/** Every store. */
export class UnanimousStrategy implements Strategy {
  isMet(successes: number, stores: number): boolean {
    return successes === stores;
  }

  canBeMet(failures: number, _stores: number): boolean {
    return failures === 0;
  }
}
