import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricFamilies, parseSamples, scrape } from '../testing/metrics';
import { startTestServer, type TestServer } from '../testing/server';

/**
 * deploy/grafana/parley.json against what a server really exposes: every metric its queries
 * name is one a scrape of a test server declares, and every Parley metric has a panel.
 */
const dashboardFile = new URL('../../../../deploy/grafana/parley.json', import.meta.url);
const TOKEN = 'dashboard-test-token-0123456789';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression (or label_values() query) reads. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [token, call] = [match[0].replace(/\s*\($/, ''), match[1]];
    // A function's name, a keyword, or label_values()'s label argument after the comma.
    if (call || PROMQL_WORDS.has(token.toLowerCase()) || /,\s*$/.test(bare.slice(0, match.index))) continue;
    names.push(token);
  }
  return names;
}

let server: TestServer;
let exposed: Set<string>;
let parleyFamilies: string[];
beforeAll(async () => {
  server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  const text = await (await scrape(server.url, TOKEN)).text();
  const families = metricFamilies(text);
  // Series names: each family's own, a histogram's _bucket/_sum/_count, and every sample's.
  exposed = new Set([...families.keys(), ...parseSamples(text).map((s) => s.name)]);
  for (const [name, type] of families) if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name + suffix);
  parleyFamilies = [...families.keys()].filter((name) => name.startsWith('parley_'));
});
afterAll(() => server.close());

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as Dashboard;
  const expressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
  const variableQueries = dashboard.templating.list.flatMap((v) => {
    const query = (v.query as { query?: string } | string | undefined) ?? '';
    const text = typeof query === 'string' ? query : (query.query ?? '');
    return text.startsWith('label_values(') ? [{ panel: `$${v.name}`, expr: text.slice('label_values('.length, -1) }] : [];
  });

  it('has the panels an operator looks at first', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of [
      'Gateway connections',
      'Identifies and resumes per second',
      'Events per second',
      'Message send latency (REST)',
      'Event delivery latency (publish → socket)',
      'Database statement p99',
      'Bus lag p99 (Redis)',
      'Calls and participants',
      'Rate-limit refusals per second',
      'API errors by code per second',
    ]) {
      expect(titles).toContain(title);
    }
    expect(expressions.length).toBeGreaterThanOrEqual(15);
  });

  it('queries only metrics the server exposes', () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le, dialect) (rate(parley_db_query_seconds_bucket{job=~"$job"}[$__rate_interval])))')).toEqual(['parley_db_query_seconds_bucket']);
    for (const { panel, expr } of [...expressions, ...variableQueries]) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${panel}: ${name} is not exposed by the server`).toBe(true);
    }
  });

  it('shows every Parley metric somewhere', () => {
    const used = new Set(expressions.flatMap(({ expr }) => metricNamesIn(expr)).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    for (const family of parleyFamilies) expect(used.has(family), `${family} has no panel`).toBe(true);
  });
});
