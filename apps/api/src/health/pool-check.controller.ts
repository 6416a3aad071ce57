import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { EmbeddingRepository } from '@debut/catalog';
import { ModelRuntime, checkPools, type PoolCheck } from '@debut/serving';
import { ApiKeyGuard } from '../common/api-key.guard';

/** Drift between the pools this api process serves from and PostgreSQL (`trainer check` reads it). */
@ApiTags('health')
@ApiSecurity('api-key')
@Controller('v1/admin/pools')
@UseGuards(ApiKeyGuard)
export class PoolCheckController {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly embeddings: EmbeddingRepository,
  ) {}

  @Get('check')
  @ApiOperation({ summary: 'Compare every pool this process holds with PostgreSQL, song by song' })
  @ApiOkResponse({
    description: '{ ok, checkedAt, pools: [{ version, pool, inProcess, inDatabase, missing, extra }] }',
  })
  check(): Promise<PoolCheck> {
    return checkPools(this.runtime, this.embeddings);
  }
}
