import { Injectable } from '@nestjs/common';
import { type SearchMode, tokenize } from '@debut/models';
import { SearchRuntime } from '@debut/serving';
import type { SearchDto } from './search.dto';

/** Search over every stored song with the active search version (503 when there is none). */
@Injectable()
export class SearchService {
  constructor(private readonly runtime: SearchRuntime) {}

  search(q: string, mode: SearchMode, limit: number): SearchDto {
    const { version, index } = this.runtime.require();
    const tokens = tokenize(q);
    const items = index.query(tokens, mode, limit);
    return {
      query: q,
      mode,
      modelVersion: version,
      fusion: { ...index.model.config.fusion },
      denseQuery: index.model.queryEncoder.known(tokens) > 0,
      items: items.map((i) => ({
        songId: i.songId,
        title: i.title,
        score: i.score,
        sources: { lexical: i.lexicalRank, dense: i.denseRank },
      })),
    };
  }
}
