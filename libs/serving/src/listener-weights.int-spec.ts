import { describe, expect, it } from '@jest/globals';
import { AudienceSelector, type Neighbour } from '@debut/audience';
import { InteractionRepository, SongRepository } from '@debut/catalog';
import { listenerSourceFrom, type Interaction } from '@debut/evaluation';
import { song } from '../../catalog/tools/fixtures';
import { databasePerFile } from '../../catalog/tools/jest-database';
import { playRows } from './catalogue-import';
import { PgListenerSource } from './pg-listener-source';

const db = databasePerFile('listener_weights');

/** Six users on four established songs with uneven play counts (a binge listener among them). */
const plays: Interaction[] = [
  { userId: 'u-1', itemId: 'w-1', strength: 120 },
  { userId: 'u-1', itemId: 'w-2', strength: 3 },
  { userId: 'u-2', itemId: 'w-1', strength: 7 },
  { userId: 'u-3', itemId: 'w-2', strength: 40 },
  { userId: 'u-3', itemId: 'w-3', strength: 2 },
  { userId: 'u-4', itemId: 'w-3', strength: 15 },
  { userId: 'u-4', itemId: 'w-4', strength: 1 },
  { userId: 'u-5', itemId: 'w-4', strength: 900 },
  { userId: 'u-6', itemId: 'w-1', strength: 1 },
  { userId: 'u-6', itemId: 'w-4', strength: 5 },
];

const neighbours: Neighbour[] = [
  { songId: 'w-1', similarity: 0.9 },
  { songId: 'w-2', similarity: 0.7 },
  { songId: 'w-3', similarity: 0.4 },
  { songId: 'w-4', similarity: 0.2 },
];

describe('one listener-weight definition for the benchmark and the service', () => {
  it('gives the same audience, scores and explanations from the benchmark’s training plays and from the imported rows in PostgreSQL', async () => {
    const benchAudience = await new AudienceSelector(listenerSourceFrom(plays)).select(neighbours, { n: 10 });

    await new SongRepository(db()).insertMany(['w-1', 'w-2', 'w-3', 'w-4'].map((id) => song(id, 'warm')));
    await new InteractionRepository(db()).insertMany(playRows(plays, 'import:test'));
    const served = await new AudienceSelector(new PgListenerSource(new InteractionRepository(db()))).select(
      neighbours,
      { n: 10 },
    );

    expect(served.map((m) => m.userId)).toEqual(benchAudience.map((m) => m.userId));
    served.forEach((m, i) => {
      expect(m.score).toBeCloseTo(benchAudience[i].score, 4);
      expect(m.because.map((b) => b.songId)).toEqual(benchAudience[i].because.map((b) => b.songId));
    });
    expect(benchAudience).toHaveLength(6);
  });
});
