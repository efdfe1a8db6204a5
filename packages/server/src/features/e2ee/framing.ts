import type { Snowflake } from '@parley/protocol';
import { decodeMlsMessage } from 'ts-mls';
import { fieldError } from '../../http/errors';

/*
 * What the server can check of MLS messages without any key (RFC 9420 §6): their outer framing.
 * A commit that is not a commit of this conversation's group at the epoch it claims, a welcome
 * that is not a welcome, or a key package whose credential names another device would make every
 * honest device that takes it fail: refused at the door. (The encrypted inside of a commit can
 * only be checked by members.)
 */

const decoder = new TextDecoder();

function decode(base64: string) {
  try {
    return decodeMlsMessage(new Uint8Array(Buffer.from(base64, 'base64')), 0)?.[0];
  } catch {
    return undefined;
  }
}

export function checkCommitFraming(field: string, commit: string, channelId: Snowflake, epoch: number): void {
  const message = decode(commit);
  if (message?.wireformat !== 'mls_private_message') throw fieldError(field, 'MLS_INVALID', 'Not an MLS handshake message (a PrivateMessage)');
  const framed = message.privateMessage;
  if (decoder.decode(framed.groupId) !== channelId) throw fieldError(field, 'MLS_INVALID', "Not a message of this conversation's group");
  if (framed.epoch !== BigInt(epoch)) throw fieldError(field, 'MLS_INVALID', `Made at epoch ${framed.epoch}, not ${epoch}`);
  if (framed.contentType !== 'commit') throw fieldError(field, 'MLS_INVALID', 'Not a commit');
}

export function checkWelcome(field: string, welcome: string): void {
  if (decode(welcome)?.wireformat !== 'mls_welcome') throw fieldError(field, 'MLS_INVALID', 'Not an MLS welcome');
}

/** A key package for this device: its credential must be `<user id>:<device id>`. */
export function checkKeyPackage(field: string, keyPackage: string, userId: Snowflake, deviceId: Snowflake): void {
  const message = decode(keyPackage);
  if (message?.wireformat !== 'mls_key_package') throw fieldError(field, 'MLS_INVALID', 'Not an MLS key package');
  const credential = message.keyPackage.leafNode.credential;
  if (credential.credentialType !== 'basic' || decoder.decode(credential.identity) !== `${userId}:${deviceId}`) {
    throw fieldError(field, 'MLS_INVALID', `The key package's credential must be ${userId}:${deviceId}`);
  }
}
