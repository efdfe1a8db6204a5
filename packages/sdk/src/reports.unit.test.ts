import type { Report, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { applyReportEvent, matchesReportFilter } from './reports';

const report = (id: string, changes: Partial<Report> = {}): Report => ({
  id: id as Snowflake,
  category: 'spam',
  status: 'open',
  reporter_id: '1' as Snowflake,
  user_id: '2' as Snowflake,
  message_id: null,
  channel_id: null,
  guild_id: '10' as Snowflake,
  note: null,
  content: null,
  scores: null,
  actions: [],
  resolved_by: null,
  resolution_reason: null,
  resolved_at: null,
  created_at: new Date(0).toISOString(),
  ...changes,
});

describe('report queue', () => {
  const open = { status: 'open' as const, guildId: null };
  it('puts a new report in its place, newest first', () => {
    const list = [report('300'), report('100')];
    expect(applyReportEvent(list, report('200'), open).map((r) => r.id)).toEqual(['300', '200', '100']);
    expect(applyReportEvent(list, report('400'), open).map((r) => r.id)).toEqual(['400', '300', '100']);
    expect(applyReportEvent([], report('50'), open).map((r) => r.id)).toEqual(['50']);
    // Snowflakes compare as numbers, not strings.
    expect(applyReportEvent([report('99')], report('1000'), open).map((r) => r.id)).toEqual(['1000', '99']);
  });

  it('drops a handled report from an open queue, and keeps it updated in an all-statuses one', () => {
    const list = [report('300'), report('200')];
    const handled = report('300', { status: 'resolved', actions: ['delete'] });
    expect(applyReportEvent(list, handled, open).map((r) => r.id)).toEqual(['200']);
    const all = applyReportEvent(list, handled, { status: null, guildId: null });
    expect(all.map((r) => [r.id, r.status])).toEqual([
      ['300', 'resolved'],
      ['200', 'open'],
    ]);
    expect(list[0]!.status).toBe('open');
  });

  it('filters by server', () => {
    expect(matchesReportFilter(report('1'), { status: null, guildId: '10' as Snowflake })).toBe(true);
    expect(matchesReportFilter(report('1', { guild_id: null }), { status: null, guildId: '10' as Snowflake })).toBe(false);
    expect(applyReportEvent([], report('1', { guild_id: '11' as Snowflake }), { status: 'open', guildId: '10' as Snowflake })).toEqual([]);
  });
});
