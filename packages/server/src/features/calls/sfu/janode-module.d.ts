// janode ships JavaScript only: the part of its API the SFU uses.
declare module 'janode' {
  import type { EventEmitter } from 'node:events';

  export interface JanusMessage {
    janus: string;
    plugindata?: { plugin: string; data: Record<string, unknown> };
    jsep?: { type: 'offer' | 'answer'; sdp: string };
  }
  export interface JanodeHandle extends EventEmitter {
    id: number;
    sendRequest(request: object, timeoutMs?: number): Promise<JanusMessage>;
    trickle(candidates: object[]): Promise<unknown>;
    trickleComplete(): Promise<unknown>;
    detach(): Promise<void>;
  }
  export interface JanodeSession extends EventEmitter {
    attach(plugin: object): Promise<JanodeHandle>;
    destroy(): Promise<void>;
  }
  export interface JanodeConnection extends EventEmitter {
    create(keepAliveSeconds?: number): Promise<JanodeSession>;
    close(): Promise<void>;
  }
  const Janode: {
    connect(config: { address: { url: string; apisecret?: string }; retry_time_secs?: number; max_retries?: number }): Promise<JanodeConnection>;
    Logger: { setLevel(level: 'debug' | 'verb' | 'info' | 'warn' | 'error' | 'none'): string };
    EVENT: Record<string, string>;
  };
  export default Janode;
}

declare module 'janode/plugins/videoroom' {
  const VideoRoom: { id: string; Handle: unknown; EVENT: Record<string, string> };
  export default VideoRoom;
}
