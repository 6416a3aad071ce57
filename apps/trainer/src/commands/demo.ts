import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import {
  AudienceRepository,
  ModelVersionRepository,
  SongRepository,
  UserRepository,
  openDatabase,
} from '@debut/catalog';
import type { SongReleasedEvent } from '@debut/features';
import { EventPublisher, createKafka, ensureTopics, topicNames } from '@debut/messaging';
import { generateSynthetic, toSongReleasedEvents } from '@debut/evaluation';

/**
 * The demo's last act: publish a few new releases on song.released (as a label's system
 * would) and print what the running worker made of them: the stored song, and its audience
 * with the neighbour songs that explain each user once a model is active.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo-releases')
    .description('publish new releases to song.released and print what the worker stored for them')
    .option('--count <n>', 'releases to publish', (v) => Number(v), 3)
    .option('--seed <n>', 'seed of the synthetic catalogue (the one imported)', (v) => Number(v), 42)
    .option('--timeout <s>', 'seconds to wait for the worker', (v) => Number(v), 60)
    .option('--api <url>', "api base URL: also print a few users' cold-gate decisions for the new songs")
    .action(async (o: { count: number; seed: number; timeout: number; api?: string }) => {
      const config = loadConfig();
      const ds = await openDatabase(config.db);
      const kafka = createKafka(config, { clientIdSuffix: '-demo' });
      await ensureTopics(kafka, config);
      const publisher = new EventPublisher(kafka);
      await publisher.connect();
      const topics = topicNames(config.kafka.topicPrefix);
      const songs = new SongRepository(ds);
      const audiences = new AudienceRepository(ds);
      try {
        const releases = await newReleases(o.count, o.seed, songs);
        for (const r of releases) {
          await publisher.publish(topics.songReleased, r.songId, r);
          console.log(`published ${r.songId} (event ${r.eventId}) on ${topics.songReleased}`);
        }
        const deadline = Date.now() + o.timeout * 1000;
        const modelActive = await new ModelVersionRepository(ds).hasActive('i2i');
        const gateUsers: string[] = [];
        for (const r of releases) {
          let song = await songs.findById(r.songId);
          let audience = await audiences.latest(r.songId);
          while ((!song || (modelActive && !audience)) && Date.now() < deadline) {
            await new Promise((res) => setTimeout(res, 200));
            song = await songs.findById(r.songId);
            audience = await audiences.latest(r.songId);
          }
          if (!song)
            throw new Error(`${r.songId} was not stored within ${o.timeout} s: is the worker running?`);
          console.log(
            `\n● ${song.id} "${song.title}" stored (pool ${song.pool}, language ${song.language}, genres ${song.genres.join('/')})`,
          );
          if (!audience) {
            console.log('  no audience: no I2I model is active yet (train one and run `trainer activate`)');
            continue;
          }
          console.log(
            `  semantic ID ${audience.sid ?? '— (this model version has no codebook)'}` +
              (audience.sid && o.api
                ? ` (songs sharing its prefix: GET ${o.api}/v1/songs/${song.id}/sid-neighbours)`
                : ''),
          );
          console.log(
            `  audience under model ${audience.modelVersion}, method ${audience.method}: ${audience.members.length} users; top 5:`,
          );
          if (o.api) await printGatePass(o.api, song.id);
          for (const m of audience.members.slice(0, 5)) {
            console.log(
              `    ${m.userId.padEnd(10)} score ${m.score.toFixed(3)}  because of ${m.because.join(', ')}`,
            );
          }
          const near = audience.neighbours.slice(0, 5).map((n) => `${n.songId} (${n.similarity.toFixed(2)})`);
          console.log(`  nearest established songs: ${near.join(', ')}`);
          if (audience.members[0] && !gateUsers.includes(audience.members[0].userId))
            gateUsers.push(audience.members[0].userId);
        }
        if (o.api)
          await printGate(
            o.api,
            [...gateUsers.slice(0, 2), ...(await new UserRepository(ds).sample(2))],
            releases.map((r) => r.songId),
          );
      } finally {
        await publisher.disconnect();
        await ds.destroy();
      }
    });
}

/**
 * Songs of the synthetic catalogue (the same seed as `trainer import`, so the same styles) that
 * are not in the database yet: the held-out songs the catalogue kept back, released now.
 */
async function newReleases(count: number, seed: number, songs: SongRepository): Promise<SongReleasedEvent[]> {
  const catalogue = generateSynthetic({ seed });
  const known = await songs.existingIds(catalogue.items.map((it) => it.id));
  const unseen = catalogue.items.filter((it) => !known.has(it.id)).slice(0, count);
  if (unseen.length < count)
    throw new Error(`only ${unseen.length} unreleased songs left in the synthetic catalogue (seed ${seed})`);
  return toSongReleasedEvents(unseen, { seed: Date.now() }).map((e) => ({
    ...e,
    eventId: randomUUID(),
    releasedAt: new Date().toISOString(),
  }));
}

/** Per user: which of the new songs pass their interest boundary (POST /v1/users/{id}/cold-gate). */
/** How much of the stored audience the same service's cold gate lets the song reach. */
async function printGatePass(api: string, songId: string): Promise<void> {
  const res = await fetch(`${api}/v1/songs/${encodeURIComponent(songId)}/audience?limit=100`);
  if (!res.ok) return;
  const body = (await res.json()) as { gatePassShare?: number | null };
  if (typeof body.gatePassShare === 'number') {
    console.log(
      `  the cold gate lets this song reach ${(100 * body.gatePassShare).toFixed(0)}% of its top-100 audience`,
    );
  }
}

async function printGate(api: string, users: string[], songIds: string[]): Promise<void> {
  console.log('\ncold gate (score u·i vs boundary u·b) for the new songs:');
  for (const userId of users) {
    const res = await fetch(`${api}/v1/users/${encodeURIComponent(userId)}/cold-gate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ songIds }),
    });
    const body = (await res.json()) as {
      basis?: string;
      message?: string;
      decisions?: Array<{ songId: string; score: number; boundary: number; pass: boolean }>;
    };
    if (!res.ok) {
      console.log(`  ${userId}: HTTP ${res.status} ${body.message ?? ''}`);
      continue;
    }
    const cells = (body.decisions ?? []).map(
      (d) => `${d.songId} ${d.pass ? 'PASS' : 'no  '} (${d.score.toFixed(2)} vs ${d.boundary.toFixed(2)})`,
    );
    console.log(`  ${userId.padEnd(8)} [${body.basis}] ${cells.join('  ')}`);
  }
}
