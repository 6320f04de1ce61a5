/**
 * Pending compensations in the order a run runs them: newest first, so each undoes its change on top of what
 * the older ones undo after it. Every listing of them (dry run, status, report) uses this order too.
 */
export const inRunOrder = <T>(compensations: readonly T[]): T[] => [...compensations].reverse();
