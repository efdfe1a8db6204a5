import { type OwnReport, Permissions, type Report, type Snowflake } from '@parley/protocol';
import { permissionsInGuild } from '@parley/sdk';
import { OwnReports, ReportQueue, type ReportFilter } from '@parley/sdk/reports';
import { computed, onScopeDispose, shallowRef } from 'vue';
import { api } from '../../api';
import { useAuthStore } from '../auth/store';
import { useRealtime } from '../realtime/store';

/**
 * The review queue for a component: the sdk's ReportQueue (live through the gateway) mirrored
 * into refs, closed when the component goes.
 */
export function useReportQueue() {
  const queue = new ReportQueue(api, useRealtime());
  const reports = shallowRef<Report[]>([]);
  const loading = shallowRef(false);
  const hasMore = shallowRef(false);
  const error = shallowRef<unknown>(null);
  const filter = shallowRef<ReportFilter>(queue.filter);
  const stop = queue.on('change', () => {
    reports.value = queue.reports;
    loading.value = queue.loading;
    hasMore.value = queue.hasMore;
    error.value = queue.error;
    filter.value = queue.filter;
  });
  onScopeDispose(() => {
    stop();
    queue.close();
  });
  return { queue, reports, loading, hasMore, error, filter };
}

/** The signed-in person's own reports, live. */
export function useOwnReports() {
  const own = new OwnReports(api, useRealtime());
  const reports = shallowRef<OwnReport[]>([]);
  const loaded = shallowRef(false);
  const error = shallowRef<unknown>(null);
  const stop = own.on('change', () => {
    reports.value = own.reports;
    loaded.value = own.loaded;
    error.value = own.error;
  });
  onScopeDispose(() => {
    stop();
    own.close();
  });
  return { own, reports, loaded, error };
}

/**
 * Whether the signed-in person reviews reports, and the servers they moderate (Manage Messages
 * or Kick Members there: who the server sends a server's reports to), from the live cache.
 */
export function useReviewer() {
  const auth = useAuthStore();
  const realtime = useRealtime();
  const moderated = computed(() => {
    const cache = realtime.cache;
    if (!cache) return [];
    return [...cache.guilds.values()].filter((g) => (permissionsInGuild(cache, g.id as Snowflake) & (Permissions.MANAGE_MESSAGES | Permissions.KICK_MEMBERS | Permissions.ADMINISTRATOR)) !== 0n);
  });
  const isAdmin = computed(() => Boolean(auth.me?.admin));
  return { moderated, isAdmin, reviews: computed(() => isAdmin.value || moderated.value.length > 0) };
}
