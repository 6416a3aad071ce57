import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SearchDto, SearchQuery } from './search.dto';
import { SearchService } from './search.service';

@ApiTags('search')
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Get()
  @ApiOperation({
    summary: 'Songs for a query (title, artist, tags), warm and new alike, by BM25, the joint model or both',
  })
  @ApiOkResponse({ type: SearchDto })
  @ApiBadRequestResponse({
    description: 'q empty, too long or without a letter or digit; limit or mode out of range',
  })
  @ApiServiceUnavailableResponse({ description: 'no search model is active' })
  get(@Query() q: SearchQuery): SearchDto {
    return this.search.search(q.q, q.mode ?? 'hybrid', q.limit ?? 20);
  }
}
