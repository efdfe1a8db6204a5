import { createRouter, createWebHistory } from 'vue-router';
import { adminTabs } from './features/admin/tabs';
import { useAuthStore } from './features/auth/store';
import { lazyRoute } from './ui/lazy';

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for signed-in users. */
    auth?: boolean;
    /** Only for signed-out visitors (login, register). */
    guestOnly?: boolean;
    /** Only for instance admins (the admin portal). */
    admin?: boolean;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/channels/@me' },
    { path: '/app', redirect: '/channels/@me' },
    { path: '/login', component: lazyRoute(() => import('./features/auth/LoginView.vue')), meta: { guestOnly: true } },
    { path: '/register', component: lazyRoute(() => import('./features/auth/RegisterView.vue')), meta: { guestOnly: true } },
    { path: '/forgot-password', component: lazyRoute(() => import('./features/auth/ForgotPasswordView.vue')), meta: { guestOnly: true } },
    // Opened from mail, signed in or not.
    { path: '/reset-password', component: lazyRoute(() => import('./features/auth/ResetPasswordView.vue')) },
    { path: '/verify-email', component: lazyRoute(() => import('./features/auth/VerifyEmailView.vue')) },
    { path: '/confirm-email', component: lazyRoute(() => import('./features/auth/ConfirmEmailView.vue')), meta: { auth: true } },
    // Where a single sign-on ends (SSO_COMPLETE_PATH): signed in or out, it finishes either way.
    { path: '/auth/sso-complete', component: lazyRoute(() => import('./features/auth/SsoCompleteView.vue')) },
    { path: '/change-password', component: lazyRoute(() => import('./features/auth/ChangePasswordView.vue')), meta: { auth: true } },
    { path: '/channels/@me/:channelId?', component: lazyRoute(() => import('./features/chat/DmView.vue')), meta: { auth: true } },
    { path: '/channels/:guildId/:channelId?', component: lazyRoute(() => import('./features/chat/GuildView.vue')), meta: { auth: true } },
    {
      path: '/servers/:guildId/settings',
      component: lazyRoute(() => import('./features/servers/ServerSettingsView.vue')),
      meta: { auth: true },
      children: [
        { path: '', redirect: (to) => `/servers/${String(to.params.guildId)}/settings/overview` },
        { path: 'overview', component: lazyRoute(() => import('./features/servers/ServerOverview.vue')) },
        { path: 'channels', component: lazyRoute(() => import('./features/servers/ServerChannels.vue')) },
        { path: 'channels/:channelId', component: lazyRoute(() => import('./features/servers/ChannelSettings.vue')) },
        { path: 'invites', component: lazyRoute(() => import('./features/servers/ServerInvites.vue')) },
        { path: 'emoji', component: lazyRoute(() => import('./features/servers/emojis/ServerEmojis.vue')) },
        { path: 'roles', component: lazyRoute(() => import('./features/servers/roles/ServerRoles.vue')) },
        { path: 'roles/:roleId', component: lazyRoute(() => import('./features/servers/roles/ServerRoles.vue')) },
        { path: 'members', component: lazyRoute(() => import('./features/servers/members/ServerMembers.vue')) },
        { path: 'bans', component: lazyRoute(() => import('./features/servers/members/ServerBans.vue')) },
        { path: 'audit-log', component: lazyRoute(() => import('./features/servers/audit/ServerAuditLog.vue')) },
      ],
    },
    { path: '/invite/:code', component: lazyRoute(() => import('./features/servers/JoinView.vue')), meta: { auth: true } },
    {
      path: '/settings',
      component: lazyRoute(() => import('./features/settings/SettingsView.vue')),
      meta: { auth: true },
      children: [
        { path: '', redirect: '/settings/profile' },
        { path: 'profile', component: lazyRoute(() => import('./features/settings/ProfileSettings.vue')) },
        { path: 'account', component: lazyRoute(() => import('./features/settings/AccountSettings.vue')) },
        { path: 'sessions', component: lazyRoute(() => import('./features/settings/SessionsSettings.vue')) },
        { path: 'encryption', component: lazyRoute(() => import('./features/e2ee/EncryptionSettings.vue')) },
        { path: 'appearance', component: lazyRoute(() => import('./features/settings/AppearanceSettings.vue')) },
        { path: 'notifications', component: lazyRoute(() => import('./features/settings/NotificationSettings.vue')) },
        { path: 'voice', component: lazyRoute(() => import('./features/calls/settings/VoiceVideoSettings.vue')) },
        { path: 'developer', component: lazyRoute(() => import('./features/developer/DeveloperSettings.vue')) },
      ],
    },
    // The review queue (moderators, admins) and your own reports (features/reports).
    { path: '/reports/mine', component: lazyRoute(() => import('./features/reports/ReportsView.vue')), meta: { auth: true } },
    { path: '/reports/:reportId?', component: lazyRoute(() => import('./features/reports/ReportsView.vue')), meta: { auth: true } },
    {
      path: '/admin',
      component: lazyRoute(() => import('./features/admin/AdminView.vue')),
      meta: { auth: true, admin: true },
      children: [{ path: '', redirect: '/admin/users' }, ...adminTabs.map((tab) => ({ path: tab.path, component: lazyRoute(tab.component) }))],
    },
    { path: '/oauth2/authorize', component: lazyRoute(() => import('./features/developer/AuthorizeView.vue')), meta: { auth: true } },
    { path: '/:pathMatch(.*)*', redirect: '/channels/@me' },
  ],
});

let bootstrapped: Promise<void> | null = null;

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  // First navigation: learn the instance's rules and whether the stored token still works.
  bootstrapped ??= Promise.all([auth.loadInstance(), auth.restore()]).then(() => undefined);
  await bootstrapped;
  const home = '/channels/@me';
  if (to.meta.auth && !auth.signedIn) return { path: '/login', query: to.path === home ? {} : { next: to.fullPath } };
  if (to.meta.guestOnly && auth.signedIn) return home;
  if (to.matched.some((record) => record.meta.admin) && !auth.me?.admin) return home;
  if (auth.me?.password_change_required && to.path !== '/change-password') return '/change-password';
  if (!auth.me?.password_change_required && to.path === '/change-password') return home;
  const confirming = mustConfirmEmail(auth);
  if (confirming && !['/confirm-email', '/verify-email', '/settings/account'].includes(to.path)) return '/confirm-email';
  if (!confirming && to.path === '/confirm-email') return home;
  return true;
});

/** The instance requires a confirmed e-mail address (and can mail the link) and this account's is not confirmed. */
function mustConfirmEmail(auth: ReturnType<typeof useAuthStore>): boolean {
  const me = auth.me;
  return Boolean(auth.instance?.require_verified_email && auth.instance.mail_enabled && me && !me.verified && !me.guest && !me.bot);
}
