import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiKeyGuard } from '../common/api-key.guard';
import { okSchema } from '../common/response-schemas';
import { AudienceDto, LimitQuery, SidNeighboursDto, SidNeighboursQuery, SimilarDto } from '../common/dto';
import { MetricsService } from '../metrics/metrics.service';
import { SongsService } from './songs.service';

@ApiTags('songs')
@Controller('v1/songs')
export class SongsController {
  constructor(
    private readonly songs: SongsService,
    private readonly metrics: MetricsService,
  ) {}

  @Get(':id/audience')
  @ApiOperation({
    summary: "A song's selected first audience, with the neighbour songs that explain each user",
  })
  @ApiOkResponse({ type: AudienceDto })
  @RouteSchema(okSchema('AudienceDto'))
  @ApiNotFoundResponse({ description: 'unknown song, or no audience selected yet' })
  async audience(@Param('id') id: string, @Query() q: LimitQuery): Promise<AudienceDto> {
    const a = await this.songs.audience(id, q.limit ?? 100);
    this.metrics.audienceSize.observe(a.audience.length);
    return a;
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
