import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '@debut/config';
import type { FeatureSchema } from '@debut/features';
import type { ColdStartDataset, Interaction, Item } from './types';

export interface LastfmOptions {
  /** Dataset folder; default $LASTFM_DIR, else ../shared/datasets/lastfm-hetrec2011 from the project root. */
  dir?: string;
  /** Tags must be applied by at least this many distinct users (default 2). */
  minTagUsers?: number;
  /** Fields the dense `tags` modality is split into (default 8). */
  fields?: number;
  log?: (message: string) => void;
}

/** LASTFM_DIR, validated with the rest of the configuration (default ../shared/datasets/lastfm-hetrec2011). */
export function defaultLastfmDir(): string {
  return loadConfig().datasets.lastfmDir;
}

/** Rows of a tab-separated file with a header row. */
function readTsv(file: string, encoding: BufferEncoding): string[][] {
  const text = fs.readFileSync(file, { encoding });
  const lines = text.split(/\r?\n/);
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].length === 0) continue;
    rows.push(lines[i].split('\t'));
  }
  return rows;
}

/**
 * HetRec 2011 Last.fm 2K as a cold-start benchmark (DESIGN.md §6). Item = artist (`a<id>`),
 * user = `u<id>`. Content = tag profile: tags applied by ≥ 2 distinct users (counted over all tag
 * assignments); per (artist, tag) the number of distinct users who applied it, times
 * idf = ln(N / df) with N the kept artists and df the kept artists carrying the tag; then
 * L2-normalised. Tag assignments are never interactions. Interactions = user_artists, strength
 * = play count. Items = listened artists with a non-empty kept-tag profile; interactions on any
 * other artist are dropped.
 */
export function loadLastfm(options: LastfmOptions = {}): ColdStartDataset {
  const dir = options.dir ?? defaultLastfmDir();
  const minTagUsers = options.minTagUsers ?? 2;
  const log = options.log ?? (() => undefined);
  const t0 = Date.now();
  for (const f of ['user_artists.dat', 'user_taggedartists.dat', 'tags.dat']) {
    if (!fs.existsSync(path.join(dir, f))) {
      throw new Error(
        `Last.fm dataset file ${path.join(dir, f)} not found (set LASTFM_DIR or pass --lastfm-dir)`,
      );
    }
  }
  const tagNames = new Map<string, string>();
  for (const [id, value] of readTsv(path.join(dir, 'tags.dat'), 'latin1')) tagNames.set(id, value);
  const artistNames = new Map<string, string>();
  if (fs.existsSync(path.join(dir, 'artists.dat'))) {
    for (const [id, name] of readTsv(path.join(dir, 'artists.dat'), 'utf8')) artistNames.set(id, name);
  }

  // Distinct users per tag, and distinct users per (artist, tag).
  const tagUsers = new Map<string, Set<string>>();
  const artistTagUsers = new Map<string, Map<string, Set<string>>>();
  let assignments = 0;
  for (const [userId, artistId, tagId] of readTsv(path.join(dir, 'user_taggedartists.dat'), 'utf8')) {
    assignments++;
    let tu = tagUsers.get(tagId);
    if (!tu) tagUsers.set(tagId, (tu = new Set()));
    tu.add(userId);
    let at = artistTagUsers.get(artistId);
    if (!at) artistTagUsers.set(artistId, (at = new Map<string, Set<string>>()));
    let atu = at.get(tagId);
    if (!atu) at.set(tagId, (atu = new Set()));
    atu.add(userId);
  }
  const rawInteractions = readTsv(path.join(dir, 'user_artists.dat'), 'utf8');
  const listenedArtists = new Set(rawInteractions.map((r) => r[1]));

  const keptTagIds = [...tagUsers.entries()]
    .filter(([, users]) => users.size >= minTagUsers)
    .map(([id]) => id)
    .sort((a, b) => Number(a) - Number(b));
  const tagIndex = new Map(keptTagIds.map((id, i) => [id, i]));

  // Items: listened artists with at least one kept tag, in artist-id order.
  const itemArtists = [...listenedArtists]
    .filter((a) => {
      const at = artistTagUsers.get(a);
      if (!at) return false;
      for (const t of at.keys()) if (tagIndex.has(t)) return true;
      return false;
    })
    .sort((a, b) => Number(a) - Number(b));
  const nTags = keptTagIds.length;
  const df = new Float64Array(nTags);
  for (const a of itemArtists)
    for (const t of artistTagUsers.get(a)!.keys()) {
      const j = tagIndex.get(t);
      if (j !== undefined) df[j]++;
    }
  const N = itemArtists.length;
  const idf = Array.from(df, (x) => (x > 0 ? Math.log(N / x) : 0));

  const items: Item[] = itemArtists.map((a) => {
    const v = new Array<number>(nTags).fill(0);
    let norm = 0;
    for (const [t, users] of artistTagUsers.get(a)!) {
      const j = tagIndex.get(t);
      if (j === undefined) continue;
      v[j] = users.size * idf[j];
      norm += v[j] * v[j];
    }
    norm = Math.sqrt(norm);
    // A profile whose only tags occur on every artist has idf 0: keep it as a uniform direction over its tags.
    if (norm === 0) {
      for (const [t] of artistTagUsers.get(a)!) {
        const j = tagIndex.get(t);
        if (j !== undefined) v[j] = 1;
      }
      norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    }
    for (let j = 0; j < nTags; j++) if (v[j] !== 0) v[j] /= norm;
    return { id: `a${a}`, title: artistNames.get(a), artistId: `a${a}`, content: { features: { tags: v } } };
  });
  const itemSet = new Set(itemArtists);

  const interactions: Interaction[] = [];
  const users = new Set<string>();
  for (const [u] of rawInteractions) users.add(u);
  for (const [u, a, w] of rawInteractions) {
    if (!itemSet.has(a)) continue;
    interactions.push({ userId: `u${u}`, itemId: `a${a}`, strength: Number(w) });
  }
  const activeUsers = new Set(interactions.map((i) => i.userId));
  const schema: FeatureSchema = {
    version: 1,
    modalities: [
      { name: 'tags', kind: 'dense', dim: nTags, fields: Math.min(options.fields ?? 8, Math.max(1, nTags)) },
    ],
  };
  const stats = {
    usersInFile: users.size,
    users: activeUsers.size,
    listenedArtists: listenedArtists.size,
    items: items.length,
    droppedUntaggedArtists: listenedArtists.size - items.length,
    tagsInFile: tagNames.size,
    tagAssignments: assignments,
    keptTags: nTags,
    interactionsInFile: rawInteractions.length,
    interactions: interactions.length,
    loadMillis: Date.now() - t0,
  };
  log(
    `Last.fm: ${stats.users} users, ${stats.items} items (of ${stats.listenedArtists} listened artists; ` +
      `${stats.droppedUntaggedArtists} without kept tags dropped), ${nTags} kept tags (≥ ${minTagUsers} users, of ` +
      `${stats.tagsInFile}), ${stats.interactions} interactions (of ${stats.interactionsInFile}) in ${stats.loadMillis} ms`,
  );
  return {
    name: 'lastfm',
    schema,
    items,
    users: [...activeUsers].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    interactions,
    stats,
  };
}

/** Tag names of the kept-tag dimensions (for inspecting profiles). */
export function lastfmTagNames(dir = defaultLastfmDir(), minTagUsers = 2): string[] {
  const names = new Map(readTsv(path.join(dir, 'tags.dat'), 'latin1').map(([id, v]) => [id, v]));
  const tu = new Map<string, Set<string>>();
  for (const [u, , t] of readTsv(path.join(dir, 'user_taggedartists.dat'), 'utf8')) {
    let s = tu.get(t);
    if (!s) tu.set(t, (s = new Set()));
    s.add(u);
  }
  return [...tu.entries()]
    .filter(([, s]) => s.size >= minTagUsers)
    .map(([id]) => id)
    .sort((a, b) => Number(a) - Number(b))
    .map((id) => names.get(id) ?? id);
}
