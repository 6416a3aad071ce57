import { Injectable } from '@nestjs/common';
import { AudienceRepository, type ReleaseSummary } from '@debut/catalog';

export const DEFAULT_PAGE_SIZE = 25;

export interface ReleaseRow extends ReleaseSummary {
  /** From the event's receipt to the audience's selection (null when selected without an event). */
  latencyMs: number | null;
}

export interface ReleaseList {
  search: string;
  page: number;
  pageSize: number;
  pages: number;
  total: number;
  releases: ReleaseRow[];
}

/** Recent releases with their latest audience: the releases page and `GET /v1/releases`. */
@Injectable()
export class ReleaseListService {
  constructor(private readonly audiences: AudienceRepository) {}

  async list(opts: { search?: string; page?: number; pageSize?: number }): Promise<ReleaseList> {
    const search = (opts.search ?? '').trim();
    const page = Math.max(1, opts.page ?? 1);
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    const { total, releases } = await this.audiences.releases({
      search: search || undefined,
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return {
      search,
      page,
      pageSize,
      pages: Math.max(1, Math.ceil(total / pageSize)),
      total,
      releases: releases.map((r) => ({
        ...r,
        latencyMs:
          r.selectedAt && r.receivedAt
            ? new Date(r.selectedAt).getTime() - new Date(r.receivedAt).getTime()
            : null,
      })),
    };
  }
}
