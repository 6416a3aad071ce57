import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { DEBUT_CONFIG, type DebutConfig } from '@debut/config';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiKeyGuard } from '../common/api-key.guard';
import { okSchema } from '../common/response-schemas';
import {
  AcceptedEventDto,
  AudienceDto,
  AudienceQuery,
  ExposuresBody,
  SidNeighboursDto,
  SidNeighboursQuery,
  SimilarDto,
  LimitQuery,
} from '../common/dto';
import { RuleEvents } from '../common/rule-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { SongsService } from './songs.service';

@ApiTags('songs')
@Controller('v1/songs')
export class SongsController {
  constructor(
    private readonly songs: SongsService,
    private readonly metrics: MetricsService,
    private readonly ruleEvents: RuleEvents,
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
  ) {}

  @Get(':id/audience')
  @ApiOperation({
    summary: "A song's selected first audience, with the neighbour songs that explain each user",
    description:
      'With `region`, `excludeExposed=true` or a `limit` above the stored audience, the audience is selected afresh with the active model; ' +
      "the rules (requested market, the song's markets, explicit opt-out, exposure log, already played) run after retrieval with over-fetch, " +
      'and the answer says how many users each rule refused (`filtered`), whether the size was met (`sizeMet`), and if not, why (`exhausted`, `shortfall`).',
  })
  @ApiOkResponse({ type: AudienceDto })
  @RouteSchema(okSchema('AudienceDto'))
  @ApiBadRequestResponse({
    description: 'limit above AUDIENCE_MAX_LIMIT, a malformed region, an unknown parameter',
  })
  @ApiNotFoundResponse({ description: 'unknown song, or no audience selected yet' })
  async audience(@Param('id') id: string, @Query() q: AudienceQuery): Promise<AudienceDto> {
    const max = this.config.audience.maxLimit;
    if (q.limit !== undefined && q.limit > max)
      throw new BadRequestException(`limit must not be greater than ${max} (AUDIENCE_MAX_LIMIT)`);
    const a = await this.songs.audienceFor(id, {
      limit: q.limit,
      region: q.region,
      excludeExposed: q.excludeExposed === 'true',
    });
    this.metrics.audienceSize.observe(a.audience.length);
    return a;
  }

  @Post(':id/exposures')
  @HttpCode(202)
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('api-key')
  @ApiOperation({
    summary:
      'Record that these users were sent the song (published to song.exposed; idempotent per song and user)',
  })
  @ApiAcceptedResponse({ type: AcceptedEventDto })
  @ApiBadRequestResponse({ description: 'a malformed body' })
  @ApiNotFoundResponse({ description: 'unknown song' })
  async exposures(@Param('id') id: string, @Body() body: ExposuresBody): Promise<AcceptedEventDto> {
    await this.songs.requireExisting(id);
    return this.ruleEvents.exposure(id, body);
  }

  @Get(':id/similar')
  @ApiOperation({ summary: 'Nearest established songs in the active I2I space' })
  @ApiOkResponse({ type: SimilarDto })
  @RouteSchema(okSchema('SimilarDto'))
  @ApiNotFoundResponse({ description: 'unknown song' })
  similar(@Param('id') id: string, @Query() q: LimitQuery): Promise<SimilarDto> {
    return this.songs.similar(id, q.limit ?? 20);
  }

  @Get(':id/sid-neighbours')
  @ApiOperation({
    summary: "Songs sharing the song's first `level` semantic-ID codes under the active I2I version",
  })
  @ApiOkResponse({ type: SidNeighboursDto })
  @ApiBadRequestResponse({ description: 'level or limit out of range' })
  @ApiNotFoundResponse({ description: 'unknown song, or the active version has no semantic IDs' })
  sidNeighbours(@Param('id') id: string, @Query() q: SidNeighboursQuery): Promise<SidNeighboursDto> {
    return this.songs.sidNeighbours(id, q.level, q.limit ?? 100);
  }

  @Post(':id/audience/recompute')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('api-key')
  @ApiOperation({
    summary: "Admin: select the song's audience again with the active model and current plays",
  })
  @ApiOkResponse({ type: AudienceDto })
  @ApiNotFoundResponse({ description: 'unknown song' })
  recompute(@Param('id') id: string, @Query() q: LimitQuery): Promise<AudienceDto> {
    return this.songs.recompute(id, q.limit ?? 100);
  }
}
