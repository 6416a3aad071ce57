import type { Command } from 'commander';

interface SearchAnswer {
  modelVersion?: string;
  fusion?: { mode: string; lexicalWeight: number };
  denseQuery?: boolean;
  message?: string | string[];
  items?: Array<{
    songId: string;
    title: string;
    score: number;
    sources: { lexical: number | null; dense: number | null };
  }>;
}

/** The demo's search step: a few queries against the running api's GET /v1/search, printed with each hit's sources. */
export function registerDemoSearch(program: Command): void {
  program
    .command('demo-search')
    .description('print GET /v1/search results of the running api for a few queries')
    .requiredOption('--api <url>', 'api base URL')
    .option('--q <query...>', 'queries', ['jazz', 'indie pop'])
    .option('--mode <mode>', 'hybrid | joint | lexical', 'hybrid')
    .option('--limit <n>', 'results per query', (v) => Number(v), 5)
    .option(
      '--wait-for <songId>',
      'ask the last query again (up to 15 s) until this song is among its results',
    )
    .action(async (o: { api: string; q: string[]; mode: string; limit: number; waitFor?: string }) => {
      for (const [n, q] of o.q.entries()) {
        const url = `${o.api}/v1/search?q=${encodeURIComponent(q)}&mode=${o.mode}&limit=${o.limit}`;
        // A release is searchable after the api's next poll of the songs it stores (≤ 2 s), so
        // the demo waits for it rather than printing a list it is not in yet.
        const expect = n === o.q.length - 1 ? o.waitFor : undefined;
        const started = Date.now();
        let res = await fetch(url);
        let body = (await res.json()) as SearchAnswer;
        while (
          expect &&
          res.ok &&
          !body.items?.some((i) => i.songId === expect) &&
          Date.now() - started < 15_000
        ) {
          await new Promise((r) => setTimeout(r, 250));
          res = await fetch(url);
          body = (await res.json()) as SearchAnswer;
        }
        if (expect) {
          const found = body.items?.some((i) => i.songId === expect);
          console.log(
            found
              ? `\n${expect} is searchable (waited ${((Date.now() - started) / 1000).toFixed(1)} s for the api to index it)`
              : `\n${expect} is not among the results after 15 s`,
          );
        }
        if (!res.ok) {
          console.log(`"${q}": HTTP ${res.status} ${String(body.message)}`);
          continue;
        }
        const f = body.fusion!;
        console.log(
          `\n"${q}" (${o.mode}, model ${body.modelVersion}, fusion ${f.mode} w=${f.lexicalWeight}, ` +
            `${body.denseQuery ? 'words known to the joint model' : 'no word known to the joint model: lexical only'}):`,
        );
        for (const i of body.items ?? [])
          console.log(
            `  ${i.songId.padEnd(12)} ${i.title.padEnd(28)} score ${i.score.toFixed(3)}  ` +
              `lexical #${i.sources.lexical ?? '-'}  dense #${i.sources.dense ?? '-'}`,
          );
      }
    });
}
