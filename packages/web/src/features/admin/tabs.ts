import type { Component } from 'vue';

/** One tab of the admin portal: a child route of /admin. */
export interface AdminTab {
  path: string;
  label: string;
  component: () => Promise<{ default: Component }>;
}

/**
 * The admin portal's tabs, in order: add one line here to add a tab (its route is made from it,
 * and the portal's navigation lists it).
 */
export const adminTabs: AdminTab[] = [
  { path: 'users', label: 'Users', component: () => import('./AdminUsers.vue') },
  { path: 'provisioning', label: 'Provisioning', component: () => import('./AdminProvisioning.vue') },
  { path: 'settings', label: 'Settings', component: () => import('./AdminSettings.vue') },
  { path: 'statistics', label: 'Statistics', component: () => import('./AdminStatistics.vue') },
  { path: 'reports', label: 'Reports', component: () => import('../reports/ReviewQueue.vue') },
  { path: 'appeals', label: 'Appeals', component: () => import('../safety/AdminAppeals.vue') },
  { path: 'safety', label: 'Test the filter', component: () => import('../safety/AdminSafetyFilter.vue') },
  { path: 'audit-log', label: 'Audit log', component: () => import('./AdminAuditLog.vue') },
];
