import type { Kind } from './report';

/**
 * The order of one run: each baseline alone, and the floor group (lean, the product and its variants, lean again),
 * rotated by the run's number so that no kind always comes first. The product always sits between its two leans:
 * its ratios are taken to the floor measured around it.
 */
export function runOrder(
  kinds: ReadonlySet<Kind>,
  baselines: readonly Kind[],
  run: number,
): { kind: Kind; when?: 'before' | 'after' }[] {
  const products = [...kinds].filter((k) => k === 'archiver' || k.startsWith('archiver@'));
  const floor: { kind: Kind; when?: 'before' | 'after' }[][] = kinds.has('lean')
    ? [[{ kind: 'lean', when: 'before' }, ...products.map((kind) => ({ kind })), { kind: 'lean', when: 'after' }]]
    : products.length > 0
      ? [products.map((kind) => ({ kind }))]
      : [];
  const groups = [...baselines.filter((k) => kinds.has(k)).map((kind) => [{ kind }]), ...floor];
  return groups.map((_, i) => groups[(i + run) % groups.length]!).flat();
}
