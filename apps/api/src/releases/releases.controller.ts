import { BadRequestException, Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import { validateSongReleased } from '@debut/features';
import { EventPublisher, TOPICS, TopicNames } from '@debut/messaging';
import { ModelRuntime, loadDeploymentSchema } from '@debut/serving';
import { ApiKeyGuard } from '../common/api-key.guard';

/**
 * POST /v1/releases: the same release as the `song.released` event, for callers without Kafka.
 * It is validated here (a bad body is a 400, not a dead letter) and then published to
 * song.released, so the one worker pipeline handles it exactly as it handles broker events.
 */
@ApiTags('releases')
@ApiSecurity('api-key')
@Controller('v1/releases')
@UseGuards(ApiKeyGuard)
export class ReleasesController {
  private readonly fallbackSchema = loadDeploymentSchema();

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
    private readonly runtime: ModelRuntime,
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Announce a release; its audience is selected asynchronously (see GET /v1/songs/{id}/audience)',
  })
  @ApiBody({ description: 'song.released (DESIGN.md §4)', schema: { type: 'object' } })
  @ApiAcceptedResponse({ description: '{ eventId, songId, topic }' })
  @ApiBadRequestResponse({ description: 'the release does not match the envelope or the feature schema' })
  async release(@Body() body: unknown) {
    const schema = this.runtime.i2i?.encoder.schema ?? this.fallbackSchema;
    const checked = validateSongReleased(body, schema, { maxAudienceSize: this.config.audience.maxLimit });
    if (!checked.ok) throw new BadRequestException(checked.reason);
    await this.publisher.publish(this.topics.songReleased, checked.value.songId, checked.value);
    return { eventId: checked.value.eventId, songId: checked.value.songId, topic: this.topics.songReleased };
  }
}
