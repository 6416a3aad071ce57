import type { EmbeddingRepository } from '@debut/catalog';
import type { ModelRuntime } from './model-runtime';

/** One pool of one process against PostgreSQL. */
export interface PoolDrift {
  version: string;
  pool: 'warm' | 'cold';
  inProcess: number;
  inDatabase: number;
  /** Songs with a vector of this version in PostgreSQL that the process's pool lacks. */
  missing: { count: number; sample: string[] };
  /** Songs in the pool that PostgreSQL no longer has in that pool under this version. */
  extra: { count: number; sample: string[] };
}

export interface PoolCheck {
  ok: boolean;
  checkedAt: string;
  pools: PoolDrift[];
}

const SAMPLE = 20;

/**
 * What an operator runs to see drift: every pool this process serves from, compared song by
 * song with what PostgreSQL says it should hold. The change feed is applied first, so only real
 * drift remains (a change committed during the check may still show; a second run tells).
 */
export async function checkPools(
  runtime: ModelRuntime,
  embeddings: Pick<EmbeddingRepository, 'embeddedSongIds'>,
): Promise<PoolCheck> {
  await runtime.refresh();
  const { i2i, dssm } = runtime.state;
  const held = [
    ...(i2i ? [{ version: i2i.version, pool: 'warm' as const, index: i2i.warm }] : []),
    ...(dssm ? [{ version: dssm.version, pool: 'cold' as const, index: dssm.cold }] : []),
  ];
  const pools: PoolDrift[] = [];
  for (const { version, pool, index } of held) {
    const want = new Set(await embeddings.embeddedSongIds(version, pool, Number.MAX_SAFE_INTEGER));
    const have = index.ids();
    const missing = [...want].filter((id) => !index.has(id));
    const extra = have.filter((id) => !want.has(id));
    pools.push({
      version,
      pool,
      inProcess: have.length,
      inDatabase: want.size,
      missing: { count: missing.length, sample: missing.slice(0, SAMPLE) },
      extra: { count: extra.length, sample: extra.slice(0, SAMPLE) },
    });
  }
  return {
    ok: pools.every((p) => p.missing.count === 0 && p.extra.count === 0),
    checkedAt: new Date().toISOString(),
    pools,
  };
}
