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
    .action(async (o: { api: string; q: string[]; mode: string; limit: number }) => {
      for (const q of o.q) {
        const url = `${o.api}/v1/search?q=${encodeURIComponent(q)}&mode=${o.mode}&limit=${o.limit}`;
        const res = await fetch(url);
        const body = (await res.json()) as SearchAnswer;
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
