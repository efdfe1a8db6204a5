/**
 * The end-to-end encryption API (devices, key packages, each conversation's MLS commits and
 * welcomes). Imported as `@parley/protocol/e2ee`, not through the package's index: only the
 * code that encrypts loads it. What the server does and does not learn: e2ee.ts.
 */
import { z } from 'zod';
import { HistoryRequest, MlsBytes, MlsCommit, MlsWelcome } from './e2ee';
import { Snowflake } from './ids';
import { line } from './limits';
import { defineRoute } from './route';

/** A device that takes part in encrypted conversations: one MLS leaf per device. */
export const E2eeDevice = z.object({
  id: Snowflake,
  user_id: Snowflake,
  name: z.string(),
  created_at: z.iso.datetime(),
});
export type E2eeDevice = z.infer<typeof E2eeDevice>;

export const E2eeLimits = {
  /** Devices one account may hold. */
  devicesPerUser: 20,
  /** Unclaimed key packages one device may hold (a claim takes one). */
  keyPackagesPerDevice: 100,
  /** Key packages uploaded in one request. */
  keyPackagesPerUpload: 50,
  keyPackageMaxBytes: 4 * 1024,
  /** A commit carries the updated path of the tree: it grows with the log of the group's size. */
  commitMaxBytes: 64 * 1024,
  welcomeMaxBytes: 64 * 1024,
  /** Welcomes sent with one commit (one per added device). */
  welcomesPerCommit: 100,
  /** Users whose devices one claim asks for. */
  claimUsersMax: 10,
  /** Commits returned per page when catching up. */
  commitsPageMax: 200,
  /** A key backup's ciphertext: every epoch's message key of every conversation (~150 bytes each). */
  backupMaxBytes: 4 * 1024 * 1024,
  /** How long a history request waits for approval. */
  historyRequestTtlMs: 60 * 60 * 1000,
} as const;

/** An X25519 public key: exactly 32 bytes, base64. */
export const CreateHistoryRequestBody = z.object({ public_key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'Must be a 32-byte key in base64') });

/**
 * The answering device, the keys sealed to the request's public key (at most a backup's worth),
 * and that device's signature over them (its MLS leaf key), which the asking device checks.
 */
export const ApproveHistoryRequestBody = z.object({ device_id: Snowflake, sealed: MlsBytes(E2eeLimits.backupMaxBytes + 1024), signature: MlsBytes(128) });

export const RegisterDeviceBody = z.object({ name: line(64, 1) });

export const UploadKeyPackagesBody = z.object({
  key_packages: z.array(MlsBytes(E2eeLimits.keyPackageMaxBytes)).max(E2eeLimits.keyPackagesPerUpload).default([]),
  /** Handed out when the others are used up, and never used up itself (RFC 9420 §16.8). */
  last_resort: MlsBytes(E2eeLimits.keyPackageMaxBytes).optional(),
});

/** Every device of these people, or just these devices. */
export const ClaimKeyPackagesBody = z
  .object({
    user_ids: z.array(Snowflake).min(1).max(E2eeLimits.claimUsersMax).optional(),
    device_ids: z.array(Snowflake).min(1).max(E2eeLimits.welcomesPerCommit).optional(),
  })
  .refine((b) => (b.user_ids === undefined) !== (b.device_ids === undefined), { message: 'Give either user_ids or device_ids', path: ['user_ids'] });

/** One key package per device of the users asked for. */
export const ClaimedKeyPackage = z.object({ user_id: Snowflake, device_id: Snowflake, key_package: z.string() });

/** The sending device, and the commit that moves the conversation from `epoch` to `epoch + 1`. */
export const PostCommitBody = z.object({
  device_id: Snowflake,
  epoch: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  commit: MlsBytes(E2eeLimits.commitMaxBytes),
  /** For each device the commit adds. */
  welcomes: z
    .array(z.object({ device_id: Snowflake, welcome: MlsBytes(E2eeLimits.welcomeMaxBytes) }))
    .max(E2eeLimits.welcomesPerCommit)
    .default([]),
});

export const CommitsQuery = z.object({
  /** Commits from this epoch on (the epoch the device is at). */
  from_epoch: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  limit: z.coerce.number().int().min(1).max(E2eeLimits.commitsPageMax).default(100),
});

/** Where a conversation's group stands: the epoch its next commit must name. */
export const MlsGroupState = z.object({ channel_id: Snowflake, epoch: z.number().int().min(0) });

/**
 * The backup key wrapped under a key derived from the person's recovery passphrase (Argon2id,
 * libsodium's crypto_pwhash): a 32-byte nonce, then AEGIS-256 of the backup key and its tag.
 */
export const PassphraseWrap = z.object({
  algorithm: z.literal('argon2id13'),
  salt: MlsBytes(16),
  ops_limit: z.number().int().min(1).max(10),
  mem_limit: z
    .number()
    .int()
    .min(8 * 1024 * 1024)
    .max(1024 * 1024 * 1024),
  wrapped_key: MlsBytes(128),
});
export type PassphraseWrap = z.infer<typeof PassphraseWrap>;

/**
 * A person's key backup (docs/e2ee.md): the message keys of their encrypted conversations under
 * a random backup key the server never sees. The recovery key is that backup key, written for
 * people; the passphrase opens it too, through `passphrase`. Versions let two devices back up
 * without losing each other's keys: a write names the version it replaces.
 */
export const KeyBackup = z.object({
  version: z.number().int().min(1),
  passphrase: PassphraseWrap.nullable(),
  /** A 32-byte nonce, then AEGIS-256 of the keys (JSON) and its tag, base64. */
  ciphertext: z.string(),
  updated_at: z.iso.datetime(),
});
export type KeyBackup = z.infer<typeof KeyBackup>;

export const PutKeyBackupBody = z.object({
  /** The version this replaces (0: there is none yet); a stale one is refused with 90076. */
  previous_version: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 2),
  passphrase: PassphraseWrap.nullable(),
  ciphertext: MlsBytes(E2eeLimits.backupMaxBytes),
});

const DeviceParams = z.object({ device_id: Snowflake });
const ChannelParams = z.object({ channel_id: Snowflake });
const HistoryRequestParams = z.object({ request_id: Snowflake });

export const e2eeRoutes = {
  registerDevice: defineRoute({
    method: 'POST',
    path: '/users/@me/e2ee/devices',
    summary: 'Register this device for end-to-end encrypted conversations',
    tag: 'Encryption',
    auth: 'person',
    body: RegisterDeviceBody,
    created: true,
    response: E2eeDevice,
  }),
  userDevices: defineRoute({
    method: 'GET',
    path: '/users/:user_id/e2ee/devices',
    summary: "A person's encryption devices (to add them to a conversation, or to verify them)",
    tag: 'Encryption',
    auth: 'person',
    params: z.object({ user_id: Snowflake }),
    response: z.array(E2eeDevice),
  }),
  removeDevice: defineRoute({
    method: 'DELETE',
    path: '/users/@me/e2ee/devices/:device_id',
    summary: 'Remove one of your devices (its key packages and waiting welcomes go with it)',
    tag: 'Encryption',
    auth: 'person',
    params: DeviceParams,
    response: null,
  }),
  uploadKeyPackages: defineRoute({
    method: 'POST',
    path: '/users/@me/e2ee/devices/:device_id/key-packages',
    summary: 'Add key packages for one of your devices; answers how many it holds unclaimed',
    tag: 'Encryption',
    auth: 'person',
    params: DeviceParams,
    body: UploadKeyPackagesBody,
    response: z.object({ count: z.number().int() }),
  }),
  claimKeyPackages: defineRoute({
    method: 'POST',
    path: '/e2ee/key-packages/claim',
    summary: 'One key package for each device of these people (or these devices), each handed out once; a device with none is left out',
    tag: 'Encryption',
    auth: 'person',
    body: ClaimKeyPackagesBody,
    response: z.array(ClaimedKeyPackage),
  }),
  welcomes: defineRoute({
    method: 'GET',
    path: '/users/@me/e2ee/devices/:device_id/welcomes',
    summary: 'Welcomes waiting for one of your devices, oldest first',
    tag: 'Encryption',
    auth: 'person',
    params: DeviceParams,
    response: z.array(MlsWelcome),
  }),
  deleteWelcome: defineRoute({
    method: 'DELETE',
    path: '/users/@me/e2ee/devices/:device_id/welcomes/:welcome_id',
    summary: 'A welcome was processed: forget it',
    tag: 'Encryption',
    auth: 'person',
    params: z.object({ device_id: Snowflake, welcome_id: Snowflake }),
    response: null,
  }),
  getBackup: defineRoute({
    method: 'GET',
    path: '/users/@me/e2ee/backup',
    summary: 'Your key backup (encrypted: the server cannot open it)',
    tag: 'Encryption',
    auth: 'person',
    response: KeyBackup,
  }),
  putBackup: defineRoute({
    method: 'PUT',
    path: '/users/@me/e2ee/backup',
    summary: 'Replace your key backup (naming the version it replaces)',
    tag: 'Encryption',
    auth: 'person',
    bodyLimit: Math.ceil(E2eeLimits.backupMaxBytes / 3) * 4 + 16 * 1024,
    body: PutKeyBackupBody,
    response: KeyBackup,
  }),
  deleteBackup: defineRoute({
    method: 'DELETE',
    path: '/users/@me/e2ee/backup',
    summary: 'Delete your key backup',
    tag: 'Encryption',
    auth: 'person',
    response: null,
  }),
  requestHistory: defineRoute({
    method: 'POST',
    path: '/users/@me/e2ee/devices/:device_id/history-requests',
    summary: "Ask your other devices for your encrypted history's keys (replaces this device's earlier request)",
    tag: 'Encryption',
    auth: 'person',
    params: DeviceParams,
    body: CreateHistoryRequestBody,
    created: true,
    response: HistoryRequest,
  }),
  historyRequests: defineRoute({
    method: 'GET',
    path: '/users/@me/e2ee/history-requests',
    summary: 'Requests from your devices waiting for approval',
    tag: 'Encryption',
    auth: 'person',
    response: z.array(HistoryRequest),
  }),
  historyRequest: defineRoute({
    method: 'GET',
    path: '/users/@me/e2ee/history-requests/:request_id',
    summary: 'One history request, with the sealed keys once approved',
    tag: 'Encryption',
    auth: 'person',
    params: HistoryRequestParams,
    response: HistoryRequest,
  }),
  approveHistoryRequest: defineRoute({
    method: 'PUT',
    path: '/users/@me/e2ee/history-requests/:request_id/approval',
    summary: "Approve another of your devices' request: the keys, sealed to it",
    tag: 'Encryption',
    auth: 'person',
    params: HistoryRequestParams,
    bodyLimit: Math.ceil(E2eeLimits.backupMaxBytes / 3) * 4 + 16 * 1024,
    body: ApproveHistoryRequestBody,
    response: null,
  }),
  deleteHistoryRequest: defineRoute({
    method: 'DELETE',
    path: '/users/@me/e2ee/history-requests/:request_id',
    summary: 'Decline or withdraw a history request, or forget one that was answered',
    tag: 'Encryption',
    auth: 'person',
    params: HistoryRequestParams,
    response: null,
  }),
  conversationDevices: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/mls/devices',
    summary: "The devices of everyone in an encrypted conversation: what its group's leaves should be",
    tag: 'Encryption',
    auth: 'person',
    params: ChannelParams,
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    response: z.array(E2eeDevice),
  }),
  groupState: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/mls',
    summary: "Where an encrypted conversation's group stands",
    tag: 'Encryption',
    auth: 'person',
    params: ChannelParams,
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    response: MlsGroupState,
  }),
  postCommit: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/mls/commits',
    summary: 'Commit a change to the group (the first commit for an epoch wins; a later one is refused with 90072)',
    tag: 'Encryption',
    auth: 'person',
    params: ChannelParams,
    // Base64 is a third larger than the bytes it carries.
    bodyLimit: Math.ceil(((E2eeLimits.commitMaxBytes + E2eeLimits.welcomesPerCommit * E2eeLimits.welcomeMaxBytes) * 4) / 3) + 64 * 1024,
    body: PostCommitBody,
    // Changing the group is taking part: a read-only or timed-out member does not.
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY', 'SEND_MESSAGES'] },
    response: MlsGroupState,
  }),
  commits: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/mls/commits',
    summary: 'The accepted commits from an epoch on, in order: how a device that fell behind catches up',
    tag: 'Encryption',
    auth: 'person',
    params: ChannelParams,
    query: CommitsQuery,
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    response: z.array(MlsCommit),
  }),
};
