/** The review queue and your own reports, live (a separate entry point: only screens that show reports load it). */
import { type OwnReport, type Report, type ReportAction, type ReportOutcome, type ReportStatus, type Snowflake } from '@parley/protocol';
import { reportRoutes } from '@parley/protocol/reports';
import { Emitter } from './emitter';
import type { GatewayEvents } from './gateway';
import type { RestClient } from './rest';

/** Where live report events come from: a GatewayClient, or anything relaying its events. */
export interface ReportEventSource {
  on<K extends 'REPORT_CREATE' | 'REPORT_UPDATE' | 'OWN_REPORT_UPDATE'>(name: K, listener: (payload: GatewayEvents[K]) => void): () => void;
}

/** Which reports a queue shows. */
export interface ReportFilter {
  status: ReportStatus | null;
  guildId: Snowflake | null;
}

/** Whether a report belongs in a queue with this filter. */
export function matchesReportFilter(report: Report, filter: ReportFilter): boolean {
  return (filter.status === null || report.status === filter.status) && (filter.guildId === null || report.guild_id === filter.guildId);
}

/**
 * A queue's list after a live report event: a new or changed report that matches the filter is
 * put in its place (newest first), one that no longer matches (handled, in an "open" queue)
 * leaves. Pure: the list given is not changed.
 */
export function applyReportEvent(reports: readonly Report[], report: Report, filter: ReportFilter): Report[] {
  const others = reports.filter((r) => r.id !== report.id);
  if (!matchesReportFilter(report, filter)) return others;
  const at = others.findIndex((r) => BigInt(r.id) < BigInt(report.id));
  return at === -1 ? [...others, report] : [...others.slice(0, at), report, ...others.slice(at)];
}

const PAGE = 50;

/**
 * The review queue as a second client needs it: the reports the signed-in reviewer may see,
 * filtered by status and server, paged back in time, kept current by REPORT_CREATE and
 * REPORT_UPDATE (the server sends them only to those who may review). Emits `change` after
 * every change of `reports`, `loading` or `error`.
 */
export class ReportQueue extends Emitter<{ change: void }> {
  reports: Report[] = [];
  filter: ReportFilter = { status: 'open', guildId: null };
  loading = false;
  /** More, older reports may be loaded. */
  hasMore = false;
  error: unknown = null;
  private readonly stops: (() => void)[];
  /** Answers to older loads are dropped once the filter changed. */
  private generation = 0;

  constructor(
    private readonly rest: RestClient,
    events: ReportEventSource,
  ) {
    super();
    const live = (report: Report) => {
      this.reports = applyReportEvent(this.reports, report, this.filter);
      this.emit('change', undefined);
    };
    this.stops = [events.on('REPORT_CREATE', live), events.on('REPORT_UPDATE', live)];
  }

  /** Shows the reports matching this filter, from the newest. */
  async setFilter(filter: ReportFilter): Promise<void> {
    this.filter = filter;
    this.reports = [];
    await this.load();
  }

  /** Loads the first page (`more`: the next, older page). */
  async load(more = false): Promise<void> {
    const generation = more ? this.generation : ++this.generation;
    this.loading = true;
    this.error = null;
    this.emit('change', undefined);
    try {
      const before = more ? this.reports.at(-1)?.id : undefined;
      const page = await this.rest.request(reportRoutes.list, {
        query: { limit: PAGE, ...(this.filter.status && { status: this.filter.status }), ...(this.filter.guildId && { guild_id: this.filter.guildId }), ...(before && { before }) },
      });
      if (generation !== this.generation) return;
      // Live events may have brought some already.
      this.reports = (more ? [...this.reports, ...page] : page).reduce<Report[]>((list, report) => (list.some((r) => r.id === report.id) ? list : [...list, report]), []);
      this.hasMore = page.length === PAGE;
    } catch (error) {
      if (generation === this.generation) this.error = error;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.emit('change', undefined);
      }
    }
  }

  /** Acts on a report; the answer (and REPORT_UPDATE) updates the list. */
  async act(reportId: Snowflake, body: { action: ReportAction; reason: string; duration_seconds?: number; delete_message_seconds?: number }): Promise<Report> {
    const report = await this.rest.request(reportRoutes.act, { params: { report_id: reportId }, body });
    this.reports = applyReportEvent(this.reports, report, this.filter);
    this.emit('change', undefined);
    return report;
  }

  /** Stops following live events. */
  close(): void {
    for (const stop of this.stops) stop();
  }
}

/**
 * The signed-in person's own reports and whether each was handled, kept current by
 * OWN_REPORT_UPDATE. Emits `change`.
 */
export class OwnReports extends Emitter<{ change: void }> {
  reports: OwnReport[] = [];
  loaded = false;
  error: unknown = null;
  private readonly stop: () => void;

  constructor(
    private readonly rest: RestClient,
    events: ReportEventSource,
  ) {
    super();
    this.stop = events.on('OWN_REPORT_UPDATE', (report) => {
      this.reports = this.reports.some((r) => r.id === report.id) ? this.reports.map((r) => (r.id === report.id ? report : r)) : [report, ...this.reports];
      this.emit('change', undefined);
    });
  }

  async load(): Promise<void> {
    try {
      const page = await this.rest.request(reportRoutes.listMine, { query: { limit: 100 } });
      // A live update that came during the load is newer than the page.
      this.reports = page.map((r) => this.reports.find((known) => known.id === r.id && known.status !== 'open') ?? r);
      this.error = null;
    } catch (error) {
      this.error = error;
    } finally {
      this.loaded = true;
      this.emit('change', undefined);
    }
  }

  /** A report just filed: shown at once, pending. */
  add(report: OwnReport): void {
    if (!this.reports.some((r) => r.id === report.id)) this.reports = [report, ...this.reports];
    this.emit('change', undefined);
  }

  close(): void {
    this.stop();
  }
}

/** What a reporter is told about their report, in words. */
export function reportOutcomeText(outcome: ReportOutcome): string {
  return outcome === 'pending' ? 'Waiting for review' : outcome === 'action_taken' ? 'Handled: action taken' : 'Handled: no action';
}
