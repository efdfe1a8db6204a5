export { RestClient, type RawRequest, type RawResponse, type RequestExtras, type RestOptions, type RouteArgs, type UploadOptions } from './rest';
export { ParleyApiError, ParleyNetworkError } from './errors';
export { SignInFlow, type SignInState, type PasskeyPrompt, isMfaRequired, sessionOf } from './login';
export { GatewayClient, type GatewayEvents, type GatewayOptions, type GatewayState, type WebSocketConstructor, type WebSocketLike } from './gateway';
export { type ZlibDecoderFactory, type ZlibInflater, type ZlibStreamDecoder } from './zlib-stream';
export { ParleyCache, type CacheOptions, type CacheState } from './cache';
export { PresenceFollower, type PresenceInterest } from './presence-follow';
export { connect, type ClientOptions, type ParleyClient } from './client';
export { Emitter } from './emitter';
export { newNonce, sendMessage, type SendMessageOptions } from './messages';
export { type ChannelLog, HISTORY_PAGE, type HistoryEventSource, type HistoryOptions, type HistoryState, MessageHistory, type SessionEventSource, reloadOnNewSession } from './history';
export { Outbox, type OutboxEventSource, type OutboxOptions, type OutboxState, type PendingMessage } from './outbox';
export type { ResumableUploadOptions, UploadProgress } from './uploads';
export { type UnreadCache, type UnreadEventSource, type UnreadOptions, UnreadTracker } from './unread';
export { permissionsInChannel, permissionsInGuild } from './permissions';
export { composerOffer, messageOffer, type MessageOffer, offersPin, webhooksOffer } from './offers';
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
export { formatBytes, oneTimePasswordsCsv, parseAddressList, seriesMax } from './admin';
export {
  type MentionCandidate,
  type MentionDirectory,
  type Segment,
  type Trigger,
  type TriggerKind,
  LINKABLE_CHANNEL_NAME,
  LINKABLE_ROLE_NAME,
  applyCompletion,
  decodeMentions,
  encodeMentions,
  expandShortcode,
  findTrigger,
  fold,
  rankCandidates,
  splitCode,
} from './composer-text';
export { type TextEmoji, customEmojiOnly, customEmojiText, decodeCustomEmoji, encodeCustomEmoji, searchCustomEmoji, splitCustomEmoji } from './custom-emoji';
export { type MentionNames, mentionsAsNames, mentionsAsText } from './mention-text';
export { mentionDirectory, mentionableChannels, mentionablePeople, mentionableRoles } from './mention-directory';
export { displayNameOf } from './people';
export { LatestOnly } from './latest';
