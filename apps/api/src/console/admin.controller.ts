import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../common/api-key.guard';
import { LimitQuery } from '../common/dto';
import { DeadLetterAdminService } from './dead-letter-admin.service';
import { DeadLetterQuery, ReleaseListQuery, ReplayBody } from './dto';
import { ModelAdminService } from './model-admin.service';
import { ReleaseListService } from './release-list.service';
import { UserInsightService } from './user-insight.service';

/** Recent releases (the console's releases page reads the same service). */
@ApiTags('releases')
@Controller('v1/releases')
export class ReleaseListController {
  constructor(private readonly releases: ReleaseListService) {}

  @Get()
  @ApiOperation({
    summary: 'Recent releases, newest first: latest audience, its size and latency from event to audience',
  })
  list(@Query() q: ReleaseListQuery) {
    return this.releases.list({ search: q.q, page: q.page, pageSize: q.pageSize });
  }
}

@ApiTags('users')
@Controller('v1/users')
export class UserHistoryController {
  constructor(private readonly users: UserInsightService) {}

  @Get(':id/history')
  @ApiOperation({ summary: "A user's latest interactions, newest first" })
  @ApiNotFoundResponse({ description: 'unknown user' })
  async history(@Param('id') id: string, @Query() q: LimitQuery) {
    return { userId: id, interactions: await this.users.history(id, q.limit ?? 50) };
  }
}

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Model versions, newest first: kind, dataset, metrics, training curve, active' })
  list() {
    return this.models.list();
  }

  @Post(':version/activate')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('api-key')
  @ApiOperation({
    summary: 'Admin: activate a version as `trainer activate` does (embed songs, build the pool, flip)',
  })
  @ApiNotFoundResponse({ description: 'unknown version' })
  activate(@Param('version') version: string) {
    return this.models.activate(version);
  }
}

@ApiTags('dead-letters')
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetterAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Dead letters, newest first, with reason and payload preview; per-topic counts' })
  async list(@Query() q: DeadLetterQuery) {
    const [topics, deadLetters] = await Promise.all([
      this.deadLetters.topics(),
      this.deadLetters.recent(q.topic ?? null, q.limit ?? 50),
    ]);
    return { topics, deadLetters };
  }

  @Post('replay')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('api-key')
  @ApiOperation({
    summary: 'Admin: publish dead letters again to their source topic (as `trainer dlq replay`)',
  })
  async replay(@Body() body: ReplayBody) {
    const outcomes = await this.deadLetters.replay(body.ids);
    return { replayed: outcomes.filter((o) => o.replayed).length, outcomes };
  }
}
