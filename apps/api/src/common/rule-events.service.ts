import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { validateSongExposed, validateUserProfile, type Validation } from '@debut/features';
import { EventPublisher, TOPICS, type TopicNames } from '@debut/messaging';

/**
 * What the audience rules read, published for the worker: a profile to user.profile (keyed by
 * user), an exposure to song.exposed (keyed by song). The api publishes rather than writes, so
 * the topic stays the one way in: a tool that publishes directly and a caller of the api reach
 * the same consumer, are applied in the same per-key order and are deduplicated the same way.
 * Each event is checked against the same contract the worker applies, so what the worker would
 * dead-letter is a 400 here.
 */
@Injectable()
export class RuleEvents {
  constructor(
    private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
  ) {}

  async profile(
    userId: string,
    body: { region: string | null; explicitOptOut: boolean; updatedAt?: string },
  ) {
    const event = valid(
      validateUserProfile({
        userId,
        region: body.region,
        explicitOptOut: body.explicitOptOut,
        updatedAt: body.updatedAt ?? new Date().toISOString(),
      }),
    );
    await this.publisher.publish(this.topics.userProfile, event.userId, event);
    return { topic: this.topics.userProfile, event: { ...event } };
  }

  async exposure(songId: string, body: { userIds: string[]; exposureId?: string; at?: string }) {
    const event = valid(
      validateSongExposed({
        exposureId: body.exposureId ?? randomUUID(),
        songId,
        userIds: body.userIds,
        at: body.at ?? new Date().toISOString(),
      }),
    );
    await this.publisher.publish(this.topics.songExposed, event.songId, event);
    return { topic: this.topics.songExposed, event: { ...event } };
  }
}

function valid<T>(checked: Validation<T>): T {
  if (!checked.ok) throw new BadRequestException(checked.reason);
  return checked.value;
}
