import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config';
import type { EventPublisher } from '../../../events/publisher';
import { JanusClient } from './janus';
import { janusInstalled, JanusProcess } from './janus-process';
import { Sfu } from './sfu';

/**
 * The SFU this node uses for big calls, or null (calls then stay a mesh of at most
 * CALL_MESH_MAX): the operator's Janus (JANUS_URL), else one Parley starts when the Debian
 * package is installed. A Janus of its own only serves a single node: several nodes must share
 * one, since everyone in a call has to reach the same room.
 */
export async function startSfu(config: Config, events: EventPublisher, logger: FastifyBaseLogger): Promise<Sfu | null> {
  const { sfu } = config;
  if (!sfu) return null;
  const maxPublishers = config.calls.maxParticipants;
  if (sfu.external) return new Sfu(new JanusClient(sfu.external, logger), events, maxPublishers, logger);
  if (config.redisUrl) {
    logger.warn('Big calls need one Janus shared by every node (JANUS_URL): calls stay a mesh of at most CALL_MESH_MAX people');
    return null;
  }
  if (!janusInstalled(sfu.binary)) {
    logger.info(`Janus (${sfu.binary}) is not installed: calls stay a mesh of at most ${config.calls.meshMax} people`);
    return null;
  }
  let janus: JanusProcess;
  try {
    janus = await JanusProcess.start({ binary: sfu.binary, dataDir: config.dataDir, iceInterfaces: sfu.iceInterfaces, nat11: sfu.nat11, rtpPorts: sfu.rtpPorts }, logger);
  } catch (error) {
    // Parley still starts: calls just stay small.
    logger.error({ err: error }, `Janus would not start: calls stay a mesh of at most ${config.calls.meshMax} people`);
    return null;
  }
  logger.info(`Janus started for calls of more than ${config.calls.meshMax} people`);
  const client = new JanusClient(janus.endpoint, logger);
  return new Sfu(client, events, maxPublishers, logger, () => janus.stop());
}
