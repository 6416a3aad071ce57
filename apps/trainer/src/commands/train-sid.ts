import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { ModelVersionRepository, openDatabase } from '@debut/catalog';
import type { SongContent } from '@debut/features';
import {
  SemanticIdManifest,
  fitSemanticIdModel,
  parseSidShape,
  readSemanticIdManifest,
  saveSemanticIds,
} from '@debut/models';

/** `--sid LxK` (or `off`): validated when the command line is read, before any training. */
export function sidOption(value: string): { levels: number; codes: number } | null {
  return value === 'off' ? null : parseSidShape(value);
}

/**
 * Fits the version's semantic-ID codebook on its established (warm training) songs' vectors and
 * saves it into the artifact directory, so it is loaded, and versioned, with the model.
 */
export async function fitAndSaveSids(
  dir: string,
  version: string,
  embed: { dim: number; embed(c: SongContent[]): Float32Array },
  warmContents: SongContent[],
  shape: { levels: number; codes: number },
  seed: number,
): Promise<SemanticIdManifest> {
  const vectors = embed.embed(warmContents);
  const fitted = fitSemanticIdModel(vectors, embed.dim, version, { ...shape, seed });
  const manifest = await saveSemanticIds(dir, fitted);
  printSidStats(manifest);
  return manifest;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function printSidStats(m: SemanticIdManifest): void {
  const s = m.stats;
  console.log(
    `semantic IDs ${m.levels}x${m.codes} of ${m.modelVersion}, fitted on ${m.fittedOn} songs (dim ${m.dim}) in ${m.fitSeconds.toFixed(1)} s`,
  );
  console.log(
    `  unique full SID: ${pct(s.uniqueShare)} of songs (${s.collidingSongs} share theirs); reconstruction MSE ${m.reconstructionError.toFixed(4)}`,
  );
  for (let l = 0; l < m.levels; l++) {
    console.log(
      `  level ${l + 1}: ${s.codesUsed[l]}/${m.codes} codes used, ${s.distinctPrefixes[l]} prefixes, songs per prefix ` +
        `max ${s.maxSongsPerPrefix[l]} median ${s.medianSongsPerPrefix?.[l] ?? '-'} mean ${s.meanSongsPerPrefix[l].toFixed(1)}`,
    );
  }
}

export function registerSidStats(program: Command): void {
  program
    .command('sid-stats [version]')
    .description(
      "a version's semantic-ID codebook: codes used per level, collisions, songs per prefix, reconstruction error, fit time",
    )
    .option('--dir <path>', 'read the artifact directory directly (no database)')
    .action(async (version: string | undefined, o: { dir?: string }) => {
      let dir = o.dir;
      if (!dir) {
        const ds = await openDatabase(loadConfig().db);
        try {
          const versions = new ModelVersionRepository(ds);
          const v = version ? await versions.find(version) : await versions.active('i2i');
          if (!v) throw new Error(version ? `unknown model version ${version}` : 'no active i2i model');
          if (v.kind !== 'i2i')
            throw new Error(`${v.version} is a ${v.kind} model; semantic IDs belong to i2i`);
          dir = v.artifactPath;
        } finally {
          await ds.destroy();
        }
      }
      const manifest = await readSemanticIdManifest(dir);
      if (!manifest) throw new Error(`${dir} has no semantic IDs (trained with --sid off, or before SIDs)`);
      printSidStats(manifest);
    });
}
