/**
 * bench:api's `reference-fastify-gate`: a bare Fastify server (one process, no Nest, no helmet,
 * no metrics) doing the cold gate's work per request, as the ceiling the real endpoint is
 * judged against. It holds the active DSSM's user (u, b) vectors and cold-song vectors, read
 * once from the bench database, in Float32Arrays; a request is a JSON body parsed and validated
 * by Fastify's schema, one (u, b) and 100 item lookups, u·b + the model's gate offset, 100 dot
 * products u·i through the same InterestBoundary the service uses, and the decisions serialised
 * by a response schema in ColdGateDto's shape.
 *
 *   node dist/apps/bench/src/reference-gate-server.js --version <dssm version> --port <n>
 */
import { fastify } from 'fastify';
import { InterestBoundary, type GateDecision } from '@debut/audience';
import { EmbeddingRepository, ModelVersionRepository, openDatabase } from '@debut/catalog';
import { loadConfig } from '@debut/config';

/** What POST /v1/users/:id/cold-gate answers (ColdGateDto in apps/api/src/common/dto.ts). */
export interface ReferenceGateAnswer {
  userId: string;
  modelVersion: string;
  basis: 'model';
  decisions: GateDecision[];
}

/** Packed vectors of one model version: row r of `values` (r·dim … r·dim+dim) belongs to ids[r]. */
export interface PackedVectors {
  ids: string[];
  values: Float32Array;
  dim: number;
}

/** The gate's arithmetic over in-memory vectors; null for an unknown user or song (answered 404). */
export class ReferenceGate {
  private readonly userRow = new Map<string, number>();
  private readonly songRow = new Map<string, number>();

  constructor(
    readonly modelVersion: string,
    private readonly users: PackedVectors,
    private readonly boundaries: Float32Array,
    private readonly songs: PackedVectors,
    private readonly gateOffset: number,
  ) {
    if (users.dim !== songs.dim && songs.ids.length && users.ids.length)
      throw new Error(`user vectors are ${users.dim}-d, song vectors ${songs.dim}-d`);
    users.ids.forEach((id, r) => this.userRow.set(id, r));
    songs.ids.forEach((id, r) => this.songRow.set(id, r));
  }

  get userCount(): number {
    return this.users.ids.length;
  }

  get songCount(): number {
    return this.songs.ids.length;
  }

  answer(userId: string, songIds: string[]): ReferenceGateAnswer | null {
    const r = this.userRow.get(userId);
    if (r === undefined) return null;
    const dim = this.users.dim;
    const packed = new Float32Array(songIds.length * dim);
    for (let i = 0; i < songIds.length; i++) {
      const s = this.songRow.get(songIds[i]);
      if (s === undefined) return null;
      packed.set(this.songs.values.subarray(s * dim, (s + 1) * dim), i * dim);
    }
    const boundary = new InterestBoundary(
      {
        user: this.users.values.subarray(r * dim, (r + 1) * dim),
        boundary: this.boundaries.subarray(r * dim, (r + 1) * dim),
      },
      this.gateOffset,
    );
    return {
      userId,
      modelVersion: this.modelVersion,
      basis: 'model',
      decisions: boundary.gate(songIds, packed),
    };
  }
}

/** The model's calibrated τ as the runtime reads it (a number in the version's config, else 0). */
export function gateOffsetOf(config: Record<string, unknown>): number {
  return typeof config.gateOffset === 'number' ? config.gateOffset : 0;
}

const bodySchema = {
  type: 'object',
  required: ['songIds'],
  properties: {
    songIds: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: { type: 'string', minLength: 1, maxLength: 128 },
    },
  },
} as const;

const answerSchema = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    modelVersion: { type: 'string' },
    basis: { type: 'string' },
    decisions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          songId: { type: 'string' },
          score: { type: 'number' },
          boundary: { type: 'number' },
          pass: { type: 'boolean' },
        },
      },
    },
  },
} as const;

async function loadGate(version: string): Promise<ReferenceGate> {
  const ds = await openDatabase(loadConfig().db, { migrate: false });
  try {
    const model = await new ModelVersionRepository(ds).find(version);
    if (!model) throw new Error(`no model version ${version}`);
    const embeddings = new EmbeddingRepository(ds);
    const u = await embeddings.allUserVectors(version);
    const cold = await embeddings.songVectors(version, 'cold');
    return new ReferenceGate(
      version,
      { ids: u.ids, values: u.users, dim: u.dim },
      u.boundaries,
      { ids: cold.ids, values: cold.vectors, dim: cold.dim },
      gateOffsetOf(model.config),
    );
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i > 0 ? process.argv[i + 1] : undefined;
    if (!v)
      throw new Error(`usage: reference-gate-server --version <dssm version> --port <n> (missing --${name})`);
    return v;
  };
  const version = arg('version');
  const port = Number(arg('port'));
  const gate = await loadGate(version);
  const app = fastify({ logger: false });
  app.get('/health', () => ({ status: 'ok', users: gate.userCount, songs: gate.songCount }));
  app.post<{ Params: { id: string }; Body: { songIds: string[] } }>(
    '/v1/users/:id/cold-gate',
    { schema: { body: bodySchema, response: { 200: answerSchema } } },
    (req, reply) => {
      const a = gate.answer(req.params.id, req.body.songIds);
      if (a) return a;
      void reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'unknown user or song' });
      return undefined;
    },
  );
  await app.listen({ host: '127.0.0.1', port });
  console.log(
    `reference-fastify-gate on 127.0.0.1:${port}: ${version}, ${gate.userCount} users, ${gate.songCount} cold songs in memory`,
  );
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
