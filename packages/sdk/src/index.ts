export { RestClient, type RequestExtras, type RestOptions, type RouteArgs, type UploadOptions } from './rest';
export { ParleyApiError, ParleyNetworkError } from './errors';
export { SignInFlow, type SignInState, type PasskeyPrompt, isMfaRequired, sessionOf } from './login';
export { GatewayClient, type GatewayEvents, type GatewayOptions, type GatewayState, type WebSocketConstructor, type WebSocketLike } from './gateway';
export { ParleyCache, type CacheOptions, type CacheState } from './cache';
export { connect, type ClientOptions, type ParleyClient } from './client';
export { Emitter } from './emitter';
export { newNonce, sendMessage, type SendMessageOptions } from './messages';
export { permissionsInChannel, permissionsInGuild } from './permissions';
export { routes } from '@parley/protocol';
export {
  assignableRoles,
  canManageRole,
  hoistedRole,
  memberGroups,
  type MemberGroup,
  moderationOffer,
  type ModerationOffer,
  nameColor,
  outranks,
  roleColorHex,
  rolesByRank,
  rolesOf,
  timeoutEndsAt,
} from './roles';
export { mentionsMe, mentionsUser } from './mentions';
export { SSO_COMPLETE_PATH, parseSsoLanding, type SsoLanding, ssoErrorMessage, ssoStartUrl } from './sso';
