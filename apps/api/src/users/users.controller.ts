import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { GateService } from '@debut/serving';
import { RouteSchema } from '@nestjs/platform-fastify';
import { okSchema } from '../common/response-schemas';
import {
  AcceptedEventDto,
  ColdGateBody,
  ColdGateDto,
  ColdRecommendationsDto,
  ColdRecommendationsQuery,
  UserProfileBody,
} from '../common/dto';
import { ApiKeyGuard } from '../common/api-key.guard';
import { RuleEvents } from '../common/rule-events.service';
import { MetricsService } from '../metrics/metrics.service';

/** A validated `at` (see dto.ts) as a Date; absent stays absent. */
const atOf = (at: string | undefined): Date | undefined => (at === undefined ? undefined : new Date(at));

@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly gate: GateService,
    private readonly metrics: MetricsService,
    private readonly ruleEvents: RuleEvents,
  ) {}

  @Put(':id/profile')
  @HttpCode(202)
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('api-key')
  @ApiOperation({
    summary:
      "Set the user's market and explicit-content opt-out (published to user.profile; the latest updatedAt wins)",
  })
  @ApiAcceptedResponse({ type: AcceptedEventDto })
  @ApiBadRequestResponse({ description: 'a malformed profile' })
  profile(@Param('id') id: string, @Body() body: UserProfileBody): Promise<AcceptedEventDto> {
    return this.ruleEvents.profile(id, body);
  }

  @Post(':id/cold-gate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Per song: score u·i, boundary u·b, pass = score > boundary',
    description: 'A user with no history gets basis "no-history" and every song refused.',
  })
  @ApiOkResponse({ type: ColdGateDto })
  @RouteSchema(okSchema('ColdGateDto'))
  @ApiNotFoundResponse({ description: 'unknown user or song' })
  async coldGate(@Param('id') id: string, @Body() body: ColdGateBody): Promise<ColdGateDto> {
    const answer = await this.gate.gate(id, body.songIds, atOf(body.at));
    let passed = 0;
    for (const d of answer.decisions) if (d.pass) passed++;
    this.metrics.gateDecisions.inc({ outcome: 'pass' }, passed);
    this.metrics.gateDecisions.inc({ outcome: 'refuse' }, answer.decisions.length - passed);
    return answer;
  }

  @Get(':id/cold-recommendations')
  @ApiOperation({ summary: "Cold songs above the user's interest boundary, best first (may be empty)" })
  @ApiOkResponse({ type: ColdRecommendationsDto })
  @ApiNotFoundResponse({ description: 'unknown user' })
  async coldRecommendations(
    @Param('id') id: string,
    @Query() q: ColdRecommendationsQuery,
  ): Promise<ColdRecommendationsDto> {
    const { decisions, ...rest } = await this.gate.coldRecommendations(id, q.limit ?? 20, atOf(q.at));
    return { ...rest, songs: decisions };
  }
}
