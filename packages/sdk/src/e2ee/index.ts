// End-to-end encrypted conversations (`@parley/sdk/e2ee`): a device's MLS client and the key backup. docs/e2ee.md.
export { DecryptionError, type MessagePlaintext, type MemberDevice, type OpenedMessage, MlsDevice, type SavedDevice } from './mls-device';
export { BackupKeyError, type BackupSecret, backUpKeys, backupSecretOf, formatRecoveryKey, newBackupKey, parseRecoveryKey, restoreKeys } from './key-backup';
export { type DeviceStore, type E2eeEventSource, EncryptedConversations, NotInGroupError, type PendingHistoryRequest, type Revealed, type Verification } from './conversations';
export { SealedFileError, openFile, sealFile } from './files';
export { type ConversationIndex, type IndexedMessage, LocalSearch, type LocalSearchQuery, type SearchEventSource, type SearchIndexStore } from './local-search';
export { historySigned, sealHistory } from './history-sharing';
