import { Injectable } from '@nestjs/common';
import { DeadLetterRepository } from '@debut/catalog';
import { EventPublisher, replayDeadLetters, type ReplayOutcome } from '@debut/messaging';

/** Bytes of each dead letter's value shown as its payload preview. */
export const PREVIEW_BYTES = 240;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export interface DeadLetterView {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  size: number;
  sha256: string;
  failedAt: Date;
  replayedAt: Date | null;
  /** The value's first PREVIEW_BYTES bytes as text (a cut character shows as U+FFFD). */
  preview: string | null;
  truncatedPreview: boolean;
}

/**
 * Dead letters for the console and `GET /v1/dead-letters`, and replay for
 * `POST /v1/dead-letters/replay`: the same replayDeadLetters that `trainer dlq replay` runs.
 */
@Injectable()
export class DeadLetterAdminService {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly publisher: EventPublisher,
  ) {}

  topics() {
    return this.deadLetters.topics();
  }

  async recent(topic: string | null, limit: number): Promise<DeadLetterView[]> {
    const rows = await this.deadLetters.recent({ topic, limit, previewBytes: PREVIEW_BYTES });
    return rows.map(({ preview, ...r }) => ({
      ...r,
      preview: preview ? utf8.decode(preview) : null,
      truncatedPreview: r.size > PREVIEW_BYTES,
    }));
  }

  replay(ids: string[]): Promise<ReplayOutcome[]> {
    return replayDeadLetters(this.deadLetters, this.publisher, ids);
  }
}
