import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { DeadLetterRepository, openDatabase } from '@debut/catalog';
import { EventPublisher, createKafka, replayDeadLetters } from '@debut/messaging';

// The record a replay publishes (kept importable from here for the tests that use it).
export { REPLAY_HEADER, replayRecord } from '@debut/messaging';

/**
 * Dead letters kept in `dead_letters` (every record a consumer refused, with its full bytes, even
 * when the DLQ topic only got a truncated copy): list them, and after a fix (a new model schema,
 * a corrected producer) publish them again to the topic they came from.
 */
export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect and replay dead letters');
  dlq
    .command('list')
    .description('dead letters, newest first (not yet replayed unless --all)')
    .option('--all', 'include replayed ones')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
    .action(async (o: { all?: boolean; limit: number }) => {
      const ds = await openDatabase(loadConfig().db);
      try {
        const rows = await new DeadLetterRepository(ds).list({ all: o.all, limit: o.limit });
        if (!rows.length) console.log('no dead letters');
        for (const r of rows) {
          const state = r.replayedAt ? `replayed ${new Date(r.replayedAt).toISOString()}` : 'pending';
          console.log(
            `${r.id}\t${r.topic}[${r.partition}]@${r.offset}\t${r.size} B\tsha256 ${r.sha256.slice(0, 12)}…\t${new Date(r.failedAt).toISOString()}\t${state}\n\t${r.reason}`,
          );
        }
      } finally {
        await ds.destroy();
      }
    });
  dlq
    .command('replay')
    .description('publish dead letters again to their source topic and mark them replayed')
    .argument('[ids...]', 'dead-letter ids (see dlq list)')
    .option('--all', 'every dead letter not yet replayed')
    .action(async (ids: string[], o: { all?: boolean }) => {
      if (!o.all && !ids.length) throw new Error('give dead-letter ids or --all');
      const config = loadConfig();
      const ds = await openDatabase(config.db);
      const publisher = new EventPublisher(createKafka(config, { clientIdSuffix: '-dlq-replay' }));
      const repo = new DeadLetterRepository(ds);
      try {
        const outcomes = await replayDeadLetters(repo, publisher, o.all ? 'pending' : ids);
        for (const r of outcomes) {
          if (r.replayed) console.log(`replayed ${r.id} → ${r.topic} (${r.size} B)`);
          else console.error(`could not replay ${r.id} to ${r.topic}: ${r.error}`);
        }
        const failed = outcomes.filter((r) => !r.replayed).length;
        console.log(`${outcomes.length - failed} replayed, ${failed} failed`);
        if (failed) process.exitCode = 1;
      } finally {
        await publisher.disconnect();
        await ds.destroy();
      }
    });
}
