import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { DeadLetterRepository, openDatabase, type DeadLetterRow } from '@debut/catalog';
import { DLQ_HEADERS, EventPublisher, createKafka, errorMessage } from '@debut/messaging';

/** Header on a replayed record: the dead letter it came from. */
export const REPLAY_HEADER = 'x-dlq-replay-of';

/** The record to publish again: original key, bytes and headers, without the dead-letter marks. */
export function replayRecord(row: Pick<DeadLetterRow, 'id' | 'key' | 'value' | 'headers'>) {
  const dlqNames = new Set<string>(Object.values(DLQ_HEADERS));
  const headers = Object.fromEntries(Object.entries(row.headers).filter(([k]) => !dlqNames.has(k)));
  return {
    key: row.key === null ? null : row.key.toString('utf8'),
    value: row.value,
    headers: { ...headers, [REPLAY_HEADER]: row.id },
  };
}

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
      let replayed = 0;
      let failed = 0;
      try {
        const rows = await repo.forReplay(o.all ? 'pending' : ids);
        for (const row of rows) {
          try {
            await publisher.publishRaw(row.topic, [replayRecord(row)]);
            await repo.markReplayed([row.id]);
            replayed++;
            console.log(`replayed ${row.id} → ${row.topic} (${row.size} B)`);
          } catch (e) {
            failed++;
            console.error(`could not replay ${row.id} to ${row.topic}: ${errorMessage(e)}`);
          }
        }
        console.log(`${replayed} replayed, ${failed} failed`);
        if (failed) process.exitCode = 1;
      } finally {
        await publisher.disconnect();
        await ds.destroy();
      }
    });
}
