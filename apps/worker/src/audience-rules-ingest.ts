import type {
  ExposureRepository,
  NewExposure,
  SongRepository,
  UserProfile,
  UserRepository,
} from '@debut/catalog';
import { validateSongExposed, validateUserProfile } from '@debut/features';
import type { BatchReject, ConsumedMessage } from '@debut/messaging';

/**
 * user.profile in batches: validate, then apply the latest profile per user (an older or
 * repeated one changes nothing, so redelivery is harmless). Malformed records go to the DLQ.
 */
export class ProfileIngest {
  constructor(private readonly users: Pick<UserRepository, 'upsertProfiles'>) {}

  async handleBatch(messages: ConsumedMessage[]): Promise<BatchReject[]> {
    const rejects: BatchReject[] = [];
    const rows: Array<UserProfile & { updatedAt: Date }> = [];
    for (const message of messages) {
      const checked = validateUserProfile(message.json);
      if (!checked.ok) rejects.push({ message, reason: checked.reason });
      else rows.push({ ...checked.value, updatedAt: new Date(checked.value.updatedAt) });
    }
    await this.users.upsertProfiles(rows);
    return rejects;
  }
}

/**
 * song.exposed in batches: validate, dead-letter exposures of unknown songs (the exposure log
 * references songs), record the rest once per (song, user), so redelivery adds nothing.
 */
export class ExposureIngest {
  constructor(
    private readonly exposures: Pick<ExposureRepository, 'recordMany'>,
    private readonly songs: Pick<SongRepository, 'existingIds'>,
  ) {}

  async handleBatch(messages: ConsumedMessage[]): Promise<BatchReject[]> {
    const rejects: BatchReject[] = [];
    const valid: Array<{ message: ConsumedMessage; row: NewExposure }> = [];
    for (const message of messages) {
      const checked = validateSongExposed(message.json);
      if (!checked.ok) rejects.push({ message, reason: checked.reason });
      else valid.push({ message, row: { ...checked.value, at: new Date(checked.value.at) } });
    }
    const known = await this.songs.existingIds([...new Set(valid.map((v) => v.row.songId))]);
    const rows: NewExposure[] = [];
    for (const v of valid) {
      if (known.has(v.row.songId)) rows.push(v.row);
      else rejects.push({ message: v.message, reason: `songId: unknown song ${v.row.songId}` });
    }
    await this.exposures.recordMany(rows);
    return rejects;
  }
}
