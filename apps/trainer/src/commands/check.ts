import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import type { PoolCheck } from '@debut/serving';

/**
 * `trainer check`: asks each running process (the api's admin route, the worker's ops server)
 * to compare the pools it serves from with PostgreSQL, prints the differences, and exits 1 on
 * drift or when a process cannot be asked.
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('compare the pools each running api and worker holds with PostgreSQL; exit 1 on drift')
    .option('--api <url>', 'the api', undefined)
    .option('--worker <url>', "the worker's metrics/ops server", undefined)
    .action(async (o: { api?: string; worker?: string }) => {
      const config = loadConfig();
      const targets = [
        ['api', `${o.api ?? `http://${config.http.host}:${config.http.port}`}/v1/admin/pools/check`],
        ['worker', `${o.worker ?? `http://${config.http.host}:${config.workerMetricsPort}`}/pools/check`],
      ] as const;
      let failed = false;
      for (const [name, url] of targets) {
        try {
          const res = await fetch(url, { headers: { 'x-api-key': config.http.apiKey } });
          if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
          const report = (await res.json()) as PoolCheck;
          failed ||= !report.ok;
          console.log(`${name} (${url}): ${report.ok ? 'in step with PostgreSQL' : 'DRIFT'}`);
          for (const p of report.pools) {
            console.log(
              `  ${p.pool} pool of ${p.version}: ${p.inProcess} in the process, ${p.inDatabase} in PostgreSQL; ` +
                `missing ${p.missing.count}${p.missing.count ? ` (${p.missing.sample.join(', ')})` : ''}; ` +
                `extra ${p.extra.count}${p.extra.count ? ` (${p.extra.sample.join(', ')})` : ''}`,
            );
          }
          if (!report.pools.length) console.log('  no active model: no pools');
        } catch (e) {
          failed = true;
          console.log(`${name} (${url}): could not ask — ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      process.exitCode = failed ? 1 : 0;
    });
}
